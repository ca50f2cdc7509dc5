//! The plain-text report for terminals: a summary line per class, then each class's findings.

use super::json::{ClassReport, Report};
use super::{c_value, ratio};
use crate::analysis::findings::Status;
use crate::text::visible;
use std::fmt::Write;

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let _ = writeln!(
        out,
        "{}: {} rows, {} dims, {} classes (train {}, val {}, test {}, pool {}); standardised on {}",
        visible(&d.path),
        d.rows,
        d.dim,
        d.classes,
        d.splits.train,
        d.splits.val,
        d.splits.test,
        d.splits.pool,
        report.fit.standardized_on.name()
    );
    if let Some(bank) = &report.captions {
        let _ = writeln!(
            out,
            "captions: {} ({} captions)",
            visible(&bank.path),
            bank.captions
        );
    }
    let name_width = report
        .classes
        .iter()
        .map(|c| visible(&c.name).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 24);
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:<24}  {:>6}  {:>6}  {:>7}  {:>6}  {:>7}  {:>8}",
        "class", "status", "val", "errors", "val acc", "C", "CV bal", "test bal"
    );
    for c in &report.classes {
        let status = match c.status {
            Status::Fitted => "✓ fitted",
            Status::Skipped => "– skipped",
            Status::NoCoherentFailureMode => "~ no coherent failure",
        };
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<24}  {:>6}  {:>6}  {:>7}  {:>6}  {:>7}  {:>8}",
            truncate(&visible(&c.name), name_width),
            status,
            c.counts.val,
            c.counts.val_errors,
            ratio(c.accuracy.val),
            c.svm.as_ref().map_or("-".into(), |s| c_value(s.c)),
            ratio(c.svm.as_ref().map(|s| s.cv_balanced_accuracy)),
            ratio(c.test_metrics.as_ref().and_then(|m| m.balanced_accuracy)),
        );
    }
    for c in &report.classes {
        render_class(&mut out, c);
    }
    out
}

fn render_class(out: &mut String, c: &ClassReport) {
    let _ = writeln!(out, "\n── {} ({}) ──", visible(&c.name), c.status.label());
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "  {}", visible(reason));
    }
    for caveat in &c.caveats {
        if caveat.kind != crate::analysis::findings::CaveatKind::NoCoherentFailureMode {
            let _ = writeln!(out, "  ! {}", visible(&caveat.text));
        }
    }
    if c.svm.is_none() {
        return;
    }
    if !c.hard_captions.is_empty() {
        let header = if c.status == Status::Fitted {
            "  hard captions (most negative = where the model fails):"
        } else {
            "  lowest captions along the direction (no coherent failure mode, so not a finding):"
        };
        let _ = writeln!(out, "{header}");
        for caption in &c.hard_captions {
            let _ = writeln!(
                out,
                "    {:>8}  {}",
                super::score_text(caption.sigma, caption.score),
                visible(&caption.text)
            );
        }
        let _ = writeln!(out, "  easy captions:");
        for caption in &c.easy_captions {
            let _ = writeln!(
                out,
                "    {:>8}  {}",
                super::score_text(caption.sigma, caption.score),
                visible(&caption.text)
            );
        }
    }
    if let Some(check) = &c.check {
        let _ = writeln!(
            out,
            "  check: accuracy near the hard caption {:.3} (K={}), near the easy caption {:.3} (K={}), class {:.3}",
            check.near_hard.accuracy, check.near_hard.k, check.near_easy.accuracy, check.near_easy.k, check.class_accuracy
        );
    }
    if let Some(m) = &c.test_metrics {
        let _ = writeln!(
            out,
            "  error prediction on test: balanced accuracy {}, precision {}, recall {}",
            ratio(m.balanced_accuracy),
            ratio(m.error_precision),
            ratio(m.error_recall)
        );
    }
    if !c.baseline.is_empty() {
        let mut line = String::from("  error rate among the K hardest, SVM vs least confident:");
        for b in &c.baseline {
            let _ = write!(
                line,
                "  K={} {:.2}/{}",
                b.k,
                b.svm_error_rate,
                b.confidence_error_rate
                    .map_or("-".into(), |v| format!("{v:.2}"))
            );
        }
        let _ = writeln!(out, "{line}");
    }
    if !c.hardest.is_empty() {
        let ids: Vec<String> = c
            .hardest
            .iter()
            .take(5)
            .map(|r| {
                format!(
                    "{} ({}{})",
                    visible(&r.id.to_string()),
                    super::score_text(r.sigma, r.decision_value),
                    if r.correct { "" } else { ", wrong" }
                )
            })
            .collect();
        let _ = writeln!(out, "  hardest test rows: {}", ids.join(", "));
    }
}
