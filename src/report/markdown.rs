//! The Markdown report: the same content as the table, for issues, wikis and notebooks.

use super::json::{ModeReport, Report, SharedReport};
use super::{c_value, coverage_text, evidence_text, ratio};
use std::fmt::Write;

/// Data in a table cell or heading: control characters escaped (a carriage return or newline
/// would end the row), pipes escaped so they do not split the cell.
pub(crate) fn cell(text: &str) -> String {
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
    let st = &report.statistics;
    let _ = writeln!(
        out,
        "Each failure mode is tested on held-out test rows (one-sided Mann-Whitney); {} tests, Benjamini-Hochberg at q < {}; a finding needs {} test errors on its hard side.\n",
        st.hypotheses, st.alpha, st.min_support
    );
    let _ = writeln!(
        out,
        "| class | status | val | errors | C | CV bal. acc. | test bal. acc. | q (mode 1) | modes | top hard caption |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for c in &report.classes {
        let first = c.modes.first();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.name),
            c.status.label(),
            c.counts.val,
            c.counts.val_errors,
            c.svm.as_ref().map_or("-".into(), |s| c_value(s.c)),
            ratio(c.svm.as_ref().map(|s| s.cv_balanced_accuracy)),
            ratio(c.test_metrics.as_ref().and_then(|m| m.balanced_accuracy)),
            first
                .and_then(|m| m.evidence.q_value)
                .map_or("-".into(), super::q_short),
            c.modes.iter().filter(|m| m.evidence.significant).count(),
            c.hard_captions
                .first()
                .map_or("-".into(), |h| cell(&h.text)),
        );
    }
    for shared in &report.shared_modes {
        render_shared(&mut out, shared);
    }
    for c in &report.classes {
        let _ = writeln!(out, "\n## {}\n", cell(&c.name));
        let _ = writeln!(out, "Status: **{}**.", c.status.label());
        if let Some(reason) = &c.reason {
            let _ = writeln!(out, " {}", cell(reason));
        }
        for m in &c.modes {
            render_mode(&mut out, m, c.modes.len());
        }
    }
    out
}

fn render_shared(out: &mut String, s: &SharedReport) {
    let _ = writeln!(
        out,
        "\n## Shared mode {}: {}\n",
        s.mode,
        s.name.as_deref().map_or("(unnamed)".to_string(), cell)
    );
    let _ = writeln!(
        out,
        "Hurts {} classes; {} test errors on its hard side.\n",
        s.classes.len(),
        s.hard_errors
    );
    let _ = writeln!(
        out,
        "| class | test rows | accuracy | on its hard side | near its caption | test | explains |\n|---|---:|---:|---:|---:|---|---|"
    );
    for c in &s.classes {
        let e = &c.evidence;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.name),
            c.test_rows,
            ratio(c.test_accuracy),
            ratio(c.hard_accuracy),
            c.near_caption
                .as_ref()
                .map_or("-".into(), |n| format!("{:.3}", n.accuracy)),
            evidence_text(e.auc, e.p_value, e.q_value, e.tested_rows, true),
            c.explains
                .iter()
                .map(|m| format!("mode {m}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

fn render_mode(out: &mut String, c: &ModeReport, modes: usize) {
    {
        let e = &c.evidence;
        if modes > 1 {
            let what = if c.source == "paper" {
                " (the paper's direction)"
            } else {
                ""
            };
            let _ = writeln!(out, "\n### Mode {}{what}\n", c.mode);
        }
        let _ = writeln!(
            out,
            "\n{}; {}.",
            evidence_text(
                e.auc,
                e.p_value,
                e.q_value,
                e.tested_rows,
                c.source == "paper"
            ),
            coverage_text(e.coverage, e.lift)
        );
        if let Some(sides) = &c.sides {
            let _ = writeln!(out, "\nA{}.", &super::sides_text(sides)[1..]);
        }
        if !c.blends.is_empty() {
            let modes: Vec<String> = c.blends.iter().map(|b| b.to_string()).collect();
            let _ = writeln!(
                out,
                "\nThis direction blends modes {}: the class fails in several ways.",
                modes.join(" and ")
            );
        }
        if let Some(shared) = c.shared_mode {
            let _ = writeln!(out, "\nExplained by shared mode {shared}.");
        }
        for caveat in &c.caveats {
            let _ = writeln!(out, "\n> **Caveat:** {}", cell(&caveat.text));
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
            let gap = check.gap.map_or(String::new(), |g| {
                format!(
                    " Gap: {}.",
                    crate::text::gap_points(g.estimate, g.low, g.high, g.level)
                )
            });
            let _ = writeln!(
                out,
                "\nAccuracy on the {} test images nearest the hard caption: **{:.3}**; nearest the easy caption: **{:.3}**; whole class: {:.3}.{gap}",
                check.near_hard.k, check.near_hard.accuracy, check.near_easy.accuracy, check.class_accuracy
            );
        }
        if let Some(r) = &c.rows_gap {
            let _ = writeln!(
                out,
                "\nAccuracy of the {} hardest test rows **{:.3}**, of the {} easiest **{:.3}**; gap {}.",
                r.k,
                r.hardest_accuracy,
                r.k,
                r.easiest_accuracy,
                crate::text::gap_points(r.gap.estimate, r.gap.low, r.gap.high, r.gap.level)
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
}
