//! Exports from the explorer: the class's hardest rows, training weights, and the Markdown
//! summary with the user's triage.

use super::app::{App, ExportKind, ExportRequest};
use crate::analysis::findings::{all_findings, FindingOptions};
use crate::analysis::intervene::{training_weights, WeightScheme};
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::report::{export, json, markdown};
use std::fmt::Write as _;
use std::io::Write;

pub fn write(app: &mut App, request: &ExportRequest) -> Result<String> {
    let model = app
        .model
        .clone()
        .ok_or_else(|| Error::usage("the fit has not finished yet"))?;
    let dataset = app.dataset.clone();
    let path = &request.path;
    if path.as_os_str().is_empty() {
        return Err(Error::usage("no path given"));
    }
    match request.kind {
        ExportKind::HardestRows => {
            let findings = app
                .findings()
                .ok_or_else(|| Error::usage("no class selected"))?;
            if findings.ranking.is_empty() {
                return Err(Error::usage(format!("'{}' has no ranking", findings.name)));
            }
            let rows = findings.hardest(100);
            export::write_batch(path, &export::ranked_rows(&dataset, rows)?)?;
            Ok(format!(
                "wrote {} hardest rows of '{}' to {}",
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
            let findings = all_findings(&dataset, &model, app.bank.as_deref(), None, &options);
            let report = json::report(
                &dataset,
                &model,
                app.bank.as_deref(),
                &findings,
                false,
                10,
                5,
            );
            let mut text = markdown::render(&report);
            if app.triage.marked().next().is_some() {
                let _ = writeln!(
                    text,
                    "\n## Triage\n\n| class | mark | note |\n|---|---|---|"
                );
                for (class, entry) in app.triage.marked() {
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
