//! `faultline diff --format html`: the comparison of two models as one self-contained page, to
//! attach to a pull request or send after a retraining. The same page rules as the report's
//! (src/report/html.rs): no network, no scripts, well-formed XML, text from the data escaped.
//!
//! The verdict counts and the gate, a table of the classes (verdict, accuracy before and after),
//! then per class with a finding before or after: each mode's hard and easy sides and its check
//! under both models as paired bars, the gap's change with its interval, and the new modes.

use super::diff::{mode_name, DiffReport, ModeOut, NearCaption, NewModeOut};
use super::html::{gap_points, significance, text, truncate, STYLE};
use crate::analysis::compare::{Paired, Verdict};
use crate::analysis::stats::Interval;
use std::fmt::Write;

const DIFF_STYLE: &str = "
.v{padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.v-fixed{background:#dff3e6;color:#0a6b3d}.v-weaker{background:#e8f1e0;color:#3f6b12}
.v-persisting{background:#fbf1d0;color:#7a5d00}.v-regressed{background:#fbe0dd;color:#b3261e}
.v-new{background:#ece3f7;color:#5b2a86}.v-not_a_finding{background:#eef1f6;color:#666}
.counts .v{margin-right:6px}.gate-failed{color:#b3261e;font-weight:600}.gate-passed{color:#0a6b3d;font-weight:600}
.mode{border-top:1px solid #eef0f4;margin-top:10px;padding-top:6px}
.key{font-size:12px;color:#555}.key i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;border-radius:2px}
";

/// Colour of the after model's bars under a verdict.
fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Fixed => "#1e8e4f",
        Verdict::Weaker => "#6a9f2a",
        Verdict::Persisting => "#c99a06",
        Verdict::Regressed => "#c0392b",
        Verdict::New => "#7b3fb0",
        Verdict::NotAFinding => "#7a8494",
    }
}

const BEFORE_COLOUR: &str = "#aab2bf";

fn badge(v: Verdict) -> String {
    format!(
        "<span class=\"v v-{}\">{}</span>",
        v.name(),
        v.name().replace('_', " ")
    )
}

/// "77.6% → 90.2%".
fn before_after(p: &Paired) -> String {
    format!("{:.1}% → {:.1}%", 100.0 * p.before, 100.0 * p.after)
}

/// "+12.6 points (95% CI +8.1 to +17.0)".
fn change(i: &Interval) -> String {
    format!(
        "{:+.1} points (95% CI {:+.1} to {:+.1})",
        100.0 * i.estimate,
        100.0 * i.low,
        100.0 * i.high
    )
}

/// The page.
pub fn render(r: &DiffReport) -> String {
    let mut out = String::new();
    // Two files name their models by file; one file by its two prediction columns.
    let (before, after) = if r.before.path != r.after.path {
        (&r.before.path, &r.after.path)
    } else {
        (&r.before.prediction_column, &r.after.prediction_column)
    };
    let title = format!("faultline diff: {} → {}", text(before), text(after));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{title}</title><style>{STYLE}{DIFF_STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let source = |s: &super::diff::ModelSource| {
        format!(
            "{}, column '{}'{}",
            text(&s.path),
            text(&s.prediction_column),
            s.confidence_column.as_deref().map_or(String::new(), |c| {
                format!(" (confidence '{}')", text(c))
            })
        )
    };
    let _ = writeln!(
        out,
        "<div class=\"meta\">before: {}<br/>after: {}<br/>{} rows, {} classes; faultline {}; intervals from {} paired bootstrap resamples of each class's test rows; a mode after matches one before when at least {:.0}% of its hard-side errors lie on that mode's hard side, or their directions have a cosine of at least {}</div>",
        source(&r.before),
        source(&r.after),
        r.rows,
        r.classes_count,
        r.faultline_version,
        r.bootstrap_replicates,
        100.0 * r.matching.hard_error_share,
        r.matching.direction_cosine
    );
    counts(&mut out, r);
    summary(&mut out, r);
    for c in r
        .classes
        .iter()
        .filter(|c| c.verdict != Verdict::NotAFinding)
    {
        let _ = write!(
            out,
            "<section id=\"class-{}\"><div class=\"head\"><h2>{}</h2>{}",
            c.index,
            text(&c.name),
            badge(c.verdict)
        );
        if let Some(a) = &c.accuracy {
            let _ = write!(
                out,
                "<span>test accuracy {}, {}</span>",
                before_after(a),
                change(&a.change)
            );
        }
        out.push_str("</div>\n");
        for m in c.modes.iter().filter(|m| m.significant) {
            mode_section(&mut out, m);
        }
        for m in &c.new_modes {
            new_mode_section(&mut out, m);
        }
        out.push_str("</section>\n");
    }
    let quiet = r.quiet_classes();
    if quiet > 0 {
        let _ = writeln!(
            out,
            "<p class=\"meta\">{quiet} of {} classes had no failure mode before and none after: they are in the table only.</p>",
            r.classes.len()
        );
    }
    out.push_str("<p class=\"meta\">Gap: accuracy on a mode's easy side minus its hard side (test rows). Verdicts read the 95% interval of the gap's change: fixed (it closed), weaker (it shrank but remains), persisting (no clear change), regressed (it grew); new: a finding after that matches none before, whose gap grew.</p>\n</body></html>\n");
    out
}

fn counts(out: &mut String, r: &DiffReport) {
    let c = &r.counts;
    out.push_str("<p class=\"counts\">");
    for (n, v) in [
        (c.regressed, Verdict::Regressed),
        (c.new, Verdict::New),
        (c.persisting, Verdict::Persisting),
        (c.weaker, Verdict::Weaker),
        (c.fixed, Verdict::Fixed),
        (c.not_a_finding, Verdict::NotAFinding),
    ] {
        let _ = write!(
            out,
            "<span class=\"v v-{}\">{n} {}</span>",
            v.name(),
            v.name().replace('_', " ")
        );
    }
    out.push_str("</p>\n");
    if !r.gate.fail_on.is_empty() {
        let names: Vec<&str> = r.gate.fail_on.iter().map(|v| v.name()).collect();
        let (class, word) = if r.gate.failed {
            ("gate-failed", "failed")
        } else {
            ("gate-passed", "passed")
        };
        let _ = writeln!(
            out,
            "<p>Gate (fail on {}): <span class=\"{class}\">{word}</span></p>",
            names.join(", ")
        );
    }
}

fn summary(out: &mut String, r: &DiffReport) {
    out.push_str("<table><thead><tr><th>class</th><th>verdict</th><th>test accuracy</th><th>change</th><th>modes</th></tr></thead><tbody>\n");
    for c in &r.classes {
        let name = if c.verdict == Verdict::NotAFinding {
            text(&c.name)
        } else {
            format!("<a href=\"#class-{}\">{}</a>", c.index, text(&c.name))
        };
        let modes: Vec<String> = c
            .modes
            .iter()
            .filter(|m| m.significant)
            .map(|m| {
                format!(
                    "{} {}",
                    mode_name(&m.mode),
                    m.verdict.name().replace('_', " ")
                )
            })
            .chain(
                c.new_modes
                    .iter()
                    .map(|m| format!("{} (after) new", mode_name(&m.mode))),
            )
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            badge(c.verdict),
            c.accuracy.as_ref().map_or("–".into(), before_after),
            c.accuracy.as_ref().map_or("–".into(), |a| change(&a.change)),
            if modes.is_empty() { "–".into() } else { text(&modes.join("; ")) }
        );
    }
    out.push_str("</tbody></table>\n");
}

/// Bars in pairs, before (grey) and after (the verdict's colour), 0-100%.
fn paired_bars(out: &mut String, rows: &[(String, &Paired)], after_colour: &str) {
    let (width, row) = (440.0, 44.0);
    let height = row * rows.len() as f64 + 6.0;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">"
    );
    let x = |v: f64| 10.0 + v.clamp(0.0, 1.0) * (width - 80.0);
    for (i, (label, p)) in rows.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let _ = write!(
            out,
            "<text x=\"10\" y=\"{:.1}\" font-size=\"11\" fill=\"#333\">{}</text>",
            y + 10.0,
            text(&truncate(label, 64))
        );
        for (j, (value, fill)) in [(p.before, BEFORE_COLOUR), (p.after, after_colour)]
            .into_iter()
            .enumerate()
        {
            let top = y + 14.0 + 12.0 * j as f64;
            let _ = write!(
                out,
                "<rect x=\"10\" y=\"{top:.1}\" width=\"{:.1}\" height=\"10\" fill=\"{fill}\" rx=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#333\">{:.0}%</text>",
                x(value) - 10.0,
                x(1.0) + 6.0,
                top + 9.0,
                100.0 * value
            );
        }
    }
    let _ = write!(
        out,
        "<line x1=\"10\" x2=\"10\" y1=\"0\" y2=\"{:.1}\" stroke=\"#999\"/></svg>",
        height - 2.0
    );
}

fn key(out: &mut String, after_colour: &str) {
    let _ = write!(
        out,
        "<div class=\"key\"><i style=\"background:{BEFORE_COLOUR}\"></i>before<i style=\"background:{after_colour}\"></i>after</div>"
    );
}

/// The bars of a mode: its hard and easy sides, and its check when the captions gave one.
fn bars(
    out: &mut String,
    hard: &Paired,
    easy: Option<&Paired>,
    near: [Option<&NearCaption>; 2],
    after_colour: &str,
) {
    let mut rows = vec![(format!("hard side ({} test rows)", hard.rows), hard)];
    if let Some(easy) = easy {
        rows.push((format!("easy side ({} test rows)", easy.rows), easy));
    }
    let check: Vec<(String, Paired)> = near
        .into_iter()
        .flatten()
        .map(|n| {
            (
                format!("the {} nearest “{}”", n.k, n.caption),
                Paired {
                    rows: n.k,
                    before: n.before,
                    after: n.after,
                    change: n.change,
                },
            )
        })
        .collect();
    rows.extend(check.iter().map(|(label, p)| (label.clone(), p)));
    key(out, after_colour);
    paired_bars(out, &rows, after_colour);
}

fn mode_section(out: &mut String, m: &ModeOut) {
    let caption = m
        .near_hard_caption
        .as_ref()
        .map_or(String::new(), |n| format!(": “{}”", text(&n.caption)));
    let _ = write!(
        out,
        "<div class=\"mode\"><h3>{}{caption} {}</h3><div class=\"cols\"><div>",
        mode_name(&m.mode),
        badge(m.verdict)
    );
    bars(
        out,
        &m.hard,
        Some(&m.easy),
        [m.near_hard_caption.as_ref(), m.near_easy_caption.as_ref()],
        colour(m.verdict),
    );
    let matched = match &m.matched_by {
        Some(after) => format!(
            "The model after has the same failure as its {}.",
            mode_name(after)
        ),
        None => "No finding of the model after matches it.".into(),
    };
    let _ = writeln!(
        out,
        "</div><div><p>gap before: {}<br/>gap after: {}<br/><b>change: {}</b></p><p>hard-side accuracy {}, {}<br/>easy-side accuracy {}, {}</p><p class=\"meta\">{matched}</p></div></div></div>",
        gap_points(&m.gap_before),
        gap_points(&m.gap_after),
        change(&m.gap_change),
        before_after(&m.hard),
        change(&m.hard.change),
        before_after(&m.easy),
        change(&m.easy.change),
    );
}

fn new_mode_section(out: &mut String, m: &NewModeOut) {
    let caption = m
        .near_hard_caption
        .as_ref()
        .map_or(String::new(), |n| format!(": “{}”", text(&n.caption)));
    let evidence = significance(m.q_value, m.auc);
    let _ = write!(
        out,
        "<div class=\"mode new\"><h3>{} of the model after{caption} {}</h3><div class=\"cols\"><div>",
        mode_name(&m.mode),
        badge(Verdict::New)
    );
    bars(
        out,
        &m.hard,
        None,
        [m.near_hard_caption.as_ref(), m.near_easy_caption.as_ref()],
        colour(Verdict::New),
    );
    let _ = writeln!(
        out,
        "</div><div><p>{evidence}</p><p>gap before: {}<br/>gap after: {}<br/><b>change: {}</b></p><p>hard-side accuracy {}, {}</p></div></div></div>",
        gap_points(&m.gap_before),
        gap_points(&m.gap_after),
        change(&m.gap_change),
        before_after(&m.hard),
        change(&m.hard.change),
    );
}
