//! Turning findings into text and files: the JSON schema, tables, Markdown, and exports. Every
//! file is written through `files::write_atomically`: a reader sees the old file or the new one,
//! never half of one.

pub(crate) mod diff;
pub(crate) mod diff_html;
pub(crate) mod export;
pub(crate) mod gate;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod table;
pub(crate) mod thumbnail;

/// A decision value or caption score as people read it: in units of the class's decision
/// spread ("-2.14σ"), the same at any C; the raw value (at small C about 1e-5) only when the
/// class has no spread. The table, the Markdown and the explorer all use this.
pub fn score_text(sigma: Option<f64>, raw: f64) -> String {
    match sigma {
        Some(z) => format!("{z:+.2}σ"),
        None if raw == 0.0 => "0".into(),
        None if raw.abs() >= 0.01 => format!("{raw:+.3}"),
        None => format!("{raw:+.1e}"),
    }
}

/// The test behind a mode, in words: "AUC 0.85, p < 0.001, q < 0.001 over 500 test rows".
/// `whole` says whether the test used all of the class's test rows (mode 1, shared modes) or
/// the rows the sibling half of a split finds easier.
pub fn evidence_text(
    auc: Option<f64>,
    p: Option<f64>,
    q: Option<f64>,
    tested_rows: usize,
    whole: bool,
) -> String {
    match (auc, p, q) {
        (Some(auc), Some(p), Some(q)) => format!(
            "AUC {auc:.2}, {}, {} over {tested_rows} test rows{}",
            crate::text::p_value("p", p),
            crate::text::p_value("q", q),
            if whole {
                ""
            } else {
                " its sibling finds easier"
            }
        ),
        _ => "not tested (no test errors or no correct test rows)".into(),
    }
}

/// Share of the class's test errors on a mode's hard side, and how concentrated they are there:
/// "80% of the test errors (3.0x the class's error rate)".
pub fn coverage_text(coverage: Option<f64>, lift: Option<f64>) -> String {
    match (coverage, lift) {
        (Some(c), Some(l)) => format!(
            "{:.0}% of the class's test errors on its hard side, which errs {l:.1}x as often as the class",
            c * 100.0
        ),
        (Some(c), None) => format!("{:.0}% of the class's test errors on its hard side", c * 100.0),
        _ => "no test errors".into(),
    }
}

/// "accuracy 0.41 on its hard side (320 test rows), 0.93 on its easy side (1180); gap 52 points
/// [45, 58]".
pub fn sides_text(s: &crate::analysis::stats::SideGap) -> String {
    format!(
        "accuracy {:.3} on its hard side ({} test rows), {:.3} on its easy side ({}); gap {}",
        s.hard_accuracy,
        s.hard_rows,
        s.easy_accuracy,
        s.easy_rows,
        crate::text::gap_points(s.gap.estimate, s.gap.low, s.gap.high, s.gap.level)
    )
}

/// A q-value (or p-value) in a narrow column: "<0.001", "0.012".
pub fn q_short(q: f64) -> String {
    if q < 0.001 {
        "<0.001".into()
    } else {
        format!("{q:.3}")
    }
}

/// Formats an optional ratio as a fixed-width number or a dash.
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

/// C in compact scientific form (shared with the analysis core's caveats).
pub use crate::text::c_value;
