//! The plain-text report for terminals: a summary line per class, then each class's findings.

use super::json::{ClassReport, ModeReport, Report, SharedReport};
use super::{c_value, coverage_text, evidence_text, q_short, ratio};
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
    let st = &report.statistics;
    let _ = writeln!(
        out,
        "statistics: {} tests on held-out test rows, Benjamini-Hochberg at q < {}; a finding needs {} test errors on its hard side",
        st.hypotheses, st.alpha, st.min_support
    );
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:<24}  {:>6}  {:>6}  {:>7}  {:>6}  {:>7}  {:>8}  {:>7}  {:>5}",
        "class", "status", "val", "errors", "val acc", "C", "CV bal", "test bal", "q", "modes"
    );
    for c in &report.classes {
        let status = match c.status {
            Status::Fitted => "✓ fitted",
            Status::Skipped => "– skipped",
            Status::NoCoherentFailureMode => "~ no coherent failure",
        };
        let first_q = c.modes.first().and_then(|m| m.evidence.q_value);
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<24}  {:>6}  {:>6}  {:>7}  {:>6}  {:>7}  {:>8}  {:>7}  {:>5}",
            truncate(&visible(&c.name), name_width),
            status,
            c.counts.val,
            c.counts.val_errors,
            ratio(c.accuracy.val),
            c.svm.as_ref().map_or("-".into(), |s| c_value(s.c)),
            ratio(c.svm.as_ref().map(|s| s.cv_balanced_accuracy)),
            ratio(c.test_metrics.as_ref().and_then(|m| m.balanced_accuracy)),
            first_q.map_or("-".into(), q_short),
            found_modes(c),
        );
    }
    for shared in &report.shared_modes {
        render_shared(&mut out, shared);
    }
    for c in &report.classes {
        render_class(&mut out, c);
    }
    out
}

/// Modes that are significant, as the summary counts them ("-" for none).
fn found_modes(c: &ClassReport) -> String {
    let n = c.modes.iter().filter(|m| m.evidence.significant).count();
    if n == 0 {
        "-".into()
    } else {
        n.to_string()
    }
}

fn render_shared(out: &mut String, s: &SharedReport) {
    let name = s
        .name
        .as_deref()
        .map_or("(no captions to name it)".to_string(), |n| {
            visible(n).into_owned()
        });
    let _ = writeln!(
        out,
        "\n── shared mode {}: {} ──\n  hurts {} classes; {} test errors on its hard side",
        s.mode,
        name,
        s.classes.len(),
        s.hard_errors
    );
    if !s.hard_captions.is_empty() {
        let _ = writeln!(out, "  hard captions (mean over the classes it hurts):");
    }
    for t in s.hard_captions.iter().take(3) {
        let _ = writeln!(
            out,
            "    {:>8}  {}",
            format!("{:+.2}σ", t.sigma),
            visible(&t.template)
        );
    }
    for c in &s.classes {
        let e = &c.evidence;
        let near = match (&c.near_caption, &c.caption) {
            (Some(n), Some(_)) => format!(", near its caption {:.2} (K={})", n.accuracy, n.k),
            _ => String::new(),
        };
        let explains = if c.explains.is_empty() {
            String::new()
        } else {
            let modes: Vec<String> = c.explains.iter().map(|m| format!("mode {m}")).collect();
            format!("; explains its {}", modes.join(" and "))
        };
        let _ = writeln!(
            out,
            "  {}: accuracy {} on {} test rows, {} on its hard side{near}; {}{explains}",
            visible(&c.name),
            ratio(c.test_accuracy),
            c.test_rows,
            ratio(c.hard_accuracy),
            evidence_text(e.auc, e.p_value, e.q_value, e.tested_rows, true),
        );
    }
}

fn render_class(out: &mut String, c: &ClassReport) {
    let _ = writeln!(out, "\n── {} ({}) ──", visible(&c.name), c.status.label());
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "  {}", visible(reason));
    }
    for mode in &c.modes {
        render_mode(out, c, mode);
    }
}

fn render_mode(out: &mut String, c: &ClassReport, m: &ModeReport) {
    let e = &m.evidence;
    let title = match m.source {
        "paper" => format!("mode {} (the paper's direction)", m.mode),
        _ => format!("mode {}", m.mode),
    };
    let _ = writeln!(
        out,
        "  {title}: {}",
        evidence_text(
            e.auc,
            e.p_value,
            e.q_value,
            e.tested_rows,
            m.source == "paper"
        )
    );
    let _ = writeln!(out, "    {}", coverage_text(e.coverage, e.lift));
    if let Some(sides) = &m.sides {
        let _ = writeln!(out, "    {}", super::sides_text(sides));
    }
    if !m.blends.is_empty() {
        let modes: Vec<String> = m.blends.iter().map(|b| b.to_string()).collect();
        let _ = writeln!(
            out,
            "    blends modes {}: the class fails in several ways, read them one by one",
            modes.join(" and ")
        );
    }
    if let Some(shared) = m.shared_mode {
        let _ = writeln!(out, "    explained by shared mode {shared} (above)");
    }
    for caveat in &m.caveats {
        let skip = caveat.kind == crate::analysis::findings::CaveatKind::NoCoherentFailureMode
            && m.mode == 1
            && c.reason.is_some();
        if !skip {
            let _ = writeln!(out, "    ! {}", visible(&caveat.text));
        }
    }
    if !m.hard_captions.is_empty() {
        let header = if m.finding {
            "    hard captions (most negative = where the model fails):"
        } else {
            "    lowest captions along the direction (not a finding):"
        };
        let _ = writeln!(out, "{header}");
        for caption in &m.hard_captions {
            let _ = writeln!(
                out,
                "      {:>8}  {}",
                super::score_text(caption.sigma, caption.score),
                visible(&caption.text)
            );
        }
        let _ = writeln!(out, "    easy captions:");
        for caption in &m.easy_captions {
            let _ = writeln!(
                out,
                "      {:>8}  {}",
                super::score_text(caption.sigma, caption.score),
                visible(&caption.text)
            );
        }
    }
    if let Some(check) = &m.check {
        let gap = check.gap.map_or(String::new(), |g| {
            format!(
                "; gap {}",
                crate::text::gap_points(g.estimate, g.low, g.high, g.level)
            )
        });
        let _ = writeln!(
            out,
            "    check: accuracy near the hard caption {:.3} (K={}), near the easy caption {:.3} (K={}), class {:.3}{gap}",
            check.near_hard.accuracy, check.near_hard.k, check.near_easy.accuracy, check.near_easy.k, check.class_accuracy
        );
    }
    if let Some(r) = &m.rows_gap {
        let _ = writeln!(
            out,
            "    accuracy of the {} hardest test rows {:.3}, of the {} easiest {:.3}; gap {}",
            r.k,
            r.hardest_accuracy,
            r.k,
            r.easiest_accuracy,
            crate::text::gap_points(r.gap.estimate, r.gap.low, r.gap.high, r.gap.level)
        );
    }
    if let Some(t) = &m.test_metrics {
        let _ = writeln!(
            out,
            "    error prediction on test: balanced accuracy {}, precision {}, recall {}",
            ratio(t.balanced_accuracy),
            ratio(t.error_precision),
            ratio(t.error_recall)
        );
    }
    if !m.baseline.is_empty() {
        let mut line =
            String::from("    error rate among the K hardest, direction vs least confident:");
        for b in &m.baseline {
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
    if !m.hardest.is_empty() {
        let ids: Vec<String> = m
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
        let _ = writeln!(out, "    hardest test rows: {}", ids.join(", "));
    }
}
