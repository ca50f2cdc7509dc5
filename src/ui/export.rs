//! Exports from the explorer: the class's hardest rows, training weights, and the Markdown
//! summary with the user's triage.

use super::app::{App, ExportKind, ExportRequest};
use super::triage::Triage;
use crate::analysis::findings::{all_findings, ClassFindings, FindingOptions};
use crate::analysis::intervene::{training_weights, WeightScheme};
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::report::{export, json, markdown};
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

/// Rows in the "hardest rows" export.
pub const HARDEST_ROWS: usize = 100;

/// What an export needs, taken from the explorer so it can be written on a worker thread
/// (a summary of 1,000 classes takes a while; the screen must not freeze).
pub struct ExportJob {
    request: ExportRequest,
    dataset: Arc<Dataset>,
    model: Option<Arc<Model>>,
    bank: Option<Arc<CaptionBank>>,
    findings: Option<Arc<ClassFindings>>,
    triage: Triage,
}

impl ExportJob {
    pub fn new(app: &App, request: ExportRequest) -> ExportJob {
        ExportJob {
            dataset: app.dataset.clone(),
            model: app.model.clone(),
            bank: app.bank.clone(),
            findings: app.findings().filter(|f| f.class == request.class).cloned(),
            triage: app.triage.clone(),
            request,
        }
    }

    /// Writes the export; the status line's message either way.
    pub fn run(&self) -> String {
        match write(self) {
            Ok(message) => message,
            Err(e) => format!("export failed: {e}"),
        }
    }
}

fn write(job: &ExportJob) -> Result<String> {
    let request = &job.request;
    let model = job
        .model
        .clone()
        .ok_or_else(|| Error::usage("the fit has not finished yet"))?;
    let dataset = job.dataset.clone();
    let path = &request.path;
    if path.as_os_str().is_empty() {
        return Err(Error::usage("no path given"));
    }
    match request.kind {
        ExportKind::HardestRows => {
            let findings = job
                .findings
                .as_ref()
                .ok_or_else(|| Error::usage("the class's ranking is not ready yet"))?;
            if findings.ranking.is_empty() {
                return Err(Error::usage(format!("'{}' has no ranking", findings.name)));
            }
            let rows = findings.hardest(HARDEST_ROWS);
            export::write_batch(path, &export::ranked_rows(&dataset, rows, findings.spread)?)?;
            // A ranking that is not a finding says so here too.
            let caveat = if findings.is_finding() {
                String::new()
            } else {
                let said: Vec<&str> = findings.caveats.iter().map(|c| c.short.as_str()).collect();
                format!(" (not a finding: {})", said.join("; "))
            };
            Ok(format!(
                "wrote {} hardest rows of '{}' to {}{caveat}",
                rows.len(),
                findings.name,
                path.display()
            ))
        }
        ExportKind::Weights => {
            let weights = training_weights(&dataset, &model, WeightScheme::Soft);
            if weights.is_empty() {
                return Err(Error::usage("there are no train rows to weight"));
            }
            export::write_batch(path, &export::weights(&dataset, &weights)?)?;
            Ok(format!(
                "wrote {} soft weights to {}",
                weights.len(),
                path.display()
            ))
        }
        ExportKind::Summary => {
            let options = FindingOptions::default();
            let findings = all_findings(&dataset, &model, job.bank.as_deref(), None, &options);
            let report = json::report(
                &dataset,
                &model,
                job.bank.as_deref(),
                &findings,
                false,
                10,
                5,
            );
            let mut text = markdown::render(&report);
            if job.triage.marked().next().is_some() {
                let _ = writeln!(
                    text,
                    "\n## Triage\n\n| class | mark | note |\n|---|---|---|"
                );
                for (class, entry) in job.triage.marked() {
                    let _ = writeln!(
                        text,
                        "| {} | {} | {} |",
                        class.replace('|', "\\|"),
                        entry.mark.map_or("-", |m| m.label()),
                        entry.note.replace('|', "\\|")
                    );
                }
            }
            write_atomically(path, |f| f.write_all(text.as_bytes()))?;
            Ok(format!("wrote the summary to {}", path.display()))
        }
    }
}
