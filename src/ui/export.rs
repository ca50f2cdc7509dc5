//! Exports from the explorer: the class's hardest rows, training weights, the Markdown
//! summary and the HTML report, both with the user's triage.

use super::app::{App, Entry, ExportKind, ExportRequest};
use super::triage::Triage;
use crate::analysis::findings::{
    all_findings, shared_findings, ClassFindings, FindingOptions, SharedFindings,
};
use crate::analysis::intervene::{training_weights, Target, WeightScheme};
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
    /// The shared mode shown, when the export was asked for on the shared entry.
    shared: Option<SharedFindings>,
    /// The class's mode shown when the export was asked for.
    mode: usize,
    triage: Triage,
}

impl ExportJob {
    pub fn new(app: &App, request: ExportRequest) -> ExportJob {
        ExportJob {
            dataset: app.dataset.clone(),
            model: app.model.clone(),
            bank: app.bank.clone(),
            findings: app
                .findings()
                .filter(|f| request.entry == Entry::Class(f.class))
                .cloned(),
            shared: app.shared_view().cloned(),
            mode: app.view().map_or(0, |m| m.position),
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
        ExportKind::HardestRows if job.request.entry == Entry::Shared => {
            let shared = job
                .shared
                .as_ref()
                .ok_or_else(|| Error::usage("the shared modes' ranking is not ready yet"))?;
            let rows = &shared.ranking[..HARDEST_ROWS.min(shared.ranking.len())];
            // Its decision values are already in units of each class's spread.
            export::write_batch(path, &export::ranked_rows(&dataset, rows, Some(1.0))?)?;
            Ok(format!(
                "wrote {} hardest rows of shared mode {} ({}) to {}",
                rows.len(),
                shared.position + 1,
                crate::text::visible(shared.name().unwrap_or("unnamed")),
                path.display()
            ))
        }
        ExportKind::HardestRows => {
            let findings = job
                .findings
                .as_ref()
                .ok_or_else(|| Error::usage("the class's ranking is not ready yet"))?;
            let Some(mode) = findings.mode(job.mode).filter(|m| !m.ranking.is_empty()) else {
                return Err(Error::usage(format!("'{}' has no ranking", findings.name)));
            };
            let rows = mode.hardest(HARDEST_ROWS);
            export::write_batch(path, &export::ranked_rows(&dataset, rows, mode.spread)?)?;
            // A ranking that is not a finding says so here too.
            let caveat = if mode.is_finding() {
                String::new()
            } else {
                let said: Vec<&str> = mode.caveats.iter().map(|c| c.short.as_str()).collect();
                format!(" (not a finding: {})", said.join("; "))
            };
            Ok(format!(
                "wrote {} hardest rows of '{}' along {} to {}{caveat}",
                rows.len(),
                findings.name,
                mode.label(),
                path.display()
            ))
        }
        ExportKind::Weights => {
            let weights = training_weights(&dataset, &model, WeightScheme::Soft, Target::Findings);
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
        ExportKind::Html => {
            let report = whole_report(&dataset, &model, job.bank.as_deref());
            let page = crate::report::html::page(&report, &job.triage.html_marks());
            write_atomically(path, |f| f.write_all(page.as_bytes()))?;
            Ok(format!("wrote the HTML report to {}", path.display()))
        }
        ExportKind::Summary => {
            let report = whole_report(&dataset, &model, job.bank.as_deref());
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

/// Every class's findings and the shared modes, as the report gives them.
fn whole_report(dataset: &Dataset, model: &Model, bank: Option<&CaptionBank>) -> json::Report {
    let options = FindingOptions::default();
    let findings = all_findings(dataset, model, bank, None, &options);
    let shared = shared_findings(dataset, model, bank, &options);
    json::report(dataset, model, bank, &findings, &shared, false, &options)
}
