//! The Markdown report: the same content as the table, for issues, wikis and notebooks.

use super::json::Report;
use super::{c_value, ratio};
use std::fmt::Write;

/// Data in a table cell or heading: control characters escaped (a carriage return or newline
/// would end the row), pipes escaped so they do not split the cell.
fn cell(text: &str) -> String {
    crate::text::visible(text).replace('|', "\\|")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let _ = writeln!(out, "# Failure modes: {}\n", cell(&d.path));
    let _ = writeln!(
        out,
        "{} rows, {} dimensions, {} classes (train {}, val {}, test {}, pool {}); standardised on {}.\n",
        d.rows, d.dim, d.classes, d.splits.train, d.splits.val, d.splits.test, d.splits.pool,
        report.fit.standardized_on.name()
    );
    let _ = writeln!(
        out,
        "| class | status | val | errors | C | CV bal. acc. | test bal. acc. | top hard caption |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
    for c in &report.classes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.name),
            c.status.label(),
            c.counts.val,
            c.counts.val_errors,
            c.svm.as_ref().map_or("-".into(), |s| c_value(s.c)),
            ratio(c.svm.as_ref().map(|s| s.cv_balanced_accuracy)),
            ratio(c.test_metrics.as_ref().and_then(|m| m.balanced_accuracy)),
            c.hard_captions
                .first()
                .map_or("-".into(), |h| cell(&h.text)),
        );
    }
    for c in &report.classes {
        let _ = writeln!(out, "\n## {}\n", cell(&c.name));
        let _ = writeln!(out, "Status: **{}**.", c.status.label());
        if let Some(reason) = &c.reason {
            let _ = writeln!(out, " {}", cell(reason));
        }
        for caveat in &c.caveats {
            if caveat.kind != crate::analysis::findings::CaveatKind::NoCoherentFailureMode {
                let _ = writeln!(out, "\n> **Caveat:** {}", cell(&caveat.text));
            }
        }
        if !c.hard_captions.is_empty() {
            let _ = writeln!(
                out,
                "\n| hard caption | score | easy caption | score |\n|---|---:|---|---:|"
            );
            for k in 0..c.hard_captions.len().max(c.easy_captions.len()) {
                let h = c.hard_captions.get(k);
                let e = c.easy_captions.get(k);
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    h.map_or(String::new(), |h| cell(&h.text)),
                    h.map_or(String::new(), |h| super::score_text(h.sigma, h.score)),
                    e.map_or(String::new(), |e| cell(&e.text)),
                    e.map_or(String::new(), |e| super::score_text(e.sigma, e.score)),
                );
            }
        }
        if let Some(check) = &c.check {
            let _ = writeln!(
                out,
                "\nAccuracy on the {} test images nearest the hard caption: **{:.3}**; nearest the easy caption: **{:.3}**; whole class: {:.3}.",
                check.near_hard.k, check.near_hard.accuracy, check.near_easy.accuracy, check.class_accuracy
            );
        }
        if !c.baseline.is_empty() {
            let _ = writeln!(out, "\n| K | error rate, K hardest by SVM | error rate, K least confident |\n|---:|---:|---:|");
            for b in &c.baseline {
                let _ = writeln!(
                    out,
                    "| {} | {:.2} | {} |",
                    b.k,
                    b.svm_error_rate,
                    ratio(b.confidence_error_rate)
                );
            }
        }
    }
    out
}
