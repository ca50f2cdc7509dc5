//! `--format html`: the report as one self-contained page that opens on any laptop after an
//! `scp`: no network, no scripts, no fonts; thumbnails are JPEG data URIs, charts inline SVG.
//!
//! A summary table of the classes, then per class the paper's figure: the hardest and easiest
//! test images, the hard and easy captions with their scores, the check as bars with 95%
//! intervals, and the error rate among the K hardest rows along the direction against the K
//! least confident. Triage marks and notes from the explorer sit beside their class. The page
//! is well-formed XML as well as HTML, so any XML parser can check it.

use super::json::{ClassReport, Report, RowOut};
use crate::analysis::rank::BaselineRow;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

/// A triage mark and note, as the explorer saved them, by class name.
pub type Marks = HashMap<String, (Option<String>, String)>;

/// Text from the data, for HTML: control characters shown escaped (XML cannot carry most of
/// them), markup characters as entities.
pub(super) fn text(s: &str) -> String {
    let visible = crate::text::visible(s);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0}h3{font-size:14px;margin:14px 0 6px;color:#444}
.meta{color:#666;margin-bottom:16px}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #e3e6ec}
th{background:#f4f6f9;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
section{border:1px solid #dde1e8;border-radius:8px;padding:14px 16px;margin:18px 0;content-visibility:auto;contain-intrinsic-size:auto 560px}
.head{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
.mark{padding:1px 8px;border-radius:10px;background:#eef1f6;font-size:12px}
.finding{color:#0a6b3d}.none{color:#8a6d00}.skip{color:#888}
.grid{display:flex;flex-wrap:wrap;gap:6px}
figure{margin:0;width:100px;font-size:11px;text-align:center}
figure img,.missing{width:96px;height:96px;object-fit:cover;border-radius:4px;display:block;margin:0 auto}
.missing{background:repeating-linear-gradient(45deg,#f1f1f1,#f1f1f1 6px,#e4e4e4 6px,#e4e4e4 12px);color:#888;line-height:96px;font-size:11px}
.wrong{color:#b3261e}.right{color:#0a6b3d}
.cols{display:flex;gap:28px;flex-wrap:wrap}.cols>div{flex:1;min-width:280px}
.caveat{color:#8a6d00}
";

/// The page. `thumbnail` makes a data URI from a row's image path (None: a visible placeholder).
pub fn render(
    report: &Report,
    thumbnail: &dyn Fn(&str) -> Option<String>,
    marks: &Marks,
) -> String {
    let mut out = String::new();
    let title = format!("faultline report: {}", text(&report.dataset.path));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{title}</title><style>{STYLE}</style></head><body>\n"
    );
    let d = &report.dataset;
    let _ = writeln!(
        out,
        "<h1>{title}</h1><div class=\"meta\">{} rows, {} classes, {} dimensions; {} test rows; faultline {}; findings at a false discovery rate of {}</div>",
        d.rows,
        d.classes,
        d.dim,
        d.splits.test,
        report.faultline_version,
        report.statistics.alpha
    );
    summary(&mut out, report, marks);
    shared_modes(&mut out, report);
    for class in &report.classes {
        class_section(&mut out, class, thumbnail, marks);
    }
    out.push_str("</body></html>\n");
    out
}

/// "q < 0.001 · AUC 0.85" (HTML-escaped), or "not tested".
pub(super) fn significance(q: Option<f64>, auc: Option<f64>) -> String {
    match (q, auc) {
        (Some(q), Some(auc)) => text(&format!("{} · AUC {auc:.2}", crate::text::p_value("q", q))),
        _ => "not tested".into(),
    }
}

/// A gap in percentage points: "66 points (95% CI 57 to 75)".
pub(super) fn gap_points(gap: &crate::analysis::stats::Interval) -> String {
    format!(
        "{:.0} points (95% CI {:.0} to {:.0})",
        100.0 * gap.estimate,
        100.0 * gap.low,
        100.0 * gap.high
    )
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1}%", 100.0 * x))
}

fn summary(out: &mut String, report: &Report, marks: &Marks) {
    out.push_str("<table><thead><tr><th>class</th><th>status</th><th>test accuracy</th><th>direction (CV balanced accuracy)</th><th>significance (mode 1)</th><th>modes found</th><th>gap, hard vs easy side</th><th>triage</th></tr></thead><tbody>\n");
    for c in &report.classes {
        let first = c.modes.first();
        let significance = first.map_or("–".into(), |m| {
            significance(m.evidence.q_value, m.evidence.auc)
        });
        let found = c.modes.iter().filter(|m| m.finding).count();
        let gap = first
            .and_then(|m| m.sides.as_ref())
            .map_or("–".into(), |s| gap_points(&s.gap));
        let mark = marks
            .get(&c.name)
            .and_then(|(m, _)| m.clone())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#class-{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{found}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            c.index,
            text(&c.name),
            c.status.label(),
            percent(c.accuracy.test),
            c.svm.as_ref().map_or("–".into(), |s| format!("{:.3}", s.cv_balanced_accuracy)),
            significance,
            gap,
            text(&mark)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The failures several classes share, each with the classes it hurts.
fn shared_modes(out: &mut String, report: &Report) {
    for shared in &report.shared_modes {
        let _ = write!(
            out,
            "<section id=\"shared-{}\"><div class=\"head\"><h2>shared mode {}: {}</h2><span>hurts {} classes; {} test errors on its hard side</span></div>",
            shared.mode,
            shared.mode,
            text(shared.name.as_deref().unwrap_or("(no captions)")),
            shared.classes.len(),
            shared.hard_errors
        );
        out.push_str("<table><thead><tr><th>class</th><th>test accuracy</th><th>on its hard side</th><th>near its caption</th><th>significance</th></tr></thead><tbody>");
        for c in &shared.classes {
            let _ = write!(
                out,
                "<tr><td><a href=\"#class-{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                c.index,
                text(&c.name),
                percent(c.test_accuracy),
                percent(c.hard_accuracy),
                c.near_caption
                    .as_ref()
                    .map_or("–".into(), |n| format!("{:.0}% (K={})", 100.0 * n.accuracy, n.k)),
                significance(c.evidence.q_value, c.evidence.auc)
            );
        }
        out.push_str("</tbody></table></section>\n");
    }
}

fn class_section(
    out: &mut String,
    c: &ClassReport,
    thumbnail: &dyn Fn(&str) -> Option<String>,
    marks: &Marks,
) {
    let status_class = match c.modes.first().map(|m| m.finding) {
        Some(true) => "finding",
        Some(false) => "none",
        None => "skip",
    };
    let _ = write!(
        out,
        "<section id=\"class-{}\"><div class=\"head\"><h2>{}</h2><span class=\"{status_class}\">{}</span><span>test accuracy {}</span>",
        c.index,
        text(&c.name),
        c.status.label(),
        percent(c.accuracy.test)
    );
    if let Some((mark, note)) = marks.get(&c.name) {
        if let Some(mark) = mark {
            let _ = write!(out, "<span class=\"mark\">{}</span>", text(mark));
        }
        if !note.is_empty() {
            let _ = write!(out, "<span>note: {}</span>", text(note));
        }
    }
    out.push_str("</div>\n");
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "<p class=\"caveat\">{}</p>", text(reason));
    }
    // The reason is also the first caveat of a class without a finding: said once.
    for caveat in c
        .caveats
        .iter()
        .filter(|k| Some(&k.text) != c.reason.as_ref())
    {
        let _ = writeln!(out, "<p class=\"caveat\">! {}</p>", text(&caveat.text));
    }
    if !shows_rows(c) {
        if !c.hardest.is_empty() {
            out.push_str("<p class=\"caveat\">Its images, captions and check are left out: they would illustrate a ranking no better than chance (the JSON report has them).</p>");
        }
        out.push_str("</section>\n");
        return;
    }
    out.push_str("<div class=\"cols\"><div>");
    rows_grid(
        out,
        "hardest test images (most negative first)",
        &c.hardest,
        thumbnail,
    );
    out.push_str("</div><div>");
    rows_grid(out, "easiest test images", &c.easiest, thumbnail);
    out.push_str("</div></div>\n<div class=\"cols\"><div>");
    captions(
        out,
        "hard captions (where the model fails)",
        &c.hard_captions,
    );
    captions(out, "easy captions", &c.easy_captions);
    out.push_str("</div><div>");
    if let Some(check) = &c.check {
        out.push_str("<h3>the check: accuracy of the test images nearest each caption</h3>");
        let bars = [
            (
                format!("near “{}”", check.hard_caption),
                check.near_hard.accuracy,
                Some(check.near_hard.k),
                "#c0392b",
            ),
            (
                format!("near “{}”", check.easy_caption),
                check.near_easy.accuracy,
                Some(check.near_easy.k),
                "#1e8449",
            ),
            (
                "the whole class".to_string(),
                check.class_accuracy,
                None,
                "#5d6d7e",
            ),
        ];
        bar_chart(out, &bars);
        if let Some(gap) = &check.gap {
            let _ = writeln!(out, "<p>gap {}</p>", gap_points(gap));
        }
    }
    if !c.baseline.is_empty() {
        out.push_str(
            "<h3>errors among the K hardest: the direction against the least confident</h3>",
        );
        curve(out, &c.baseline);
    }
    out.push_str("</div></div></section>\n");
}

fn rows_grid(
    out: &mut String,
    title: &str,
    rows: &[RowOut],
    thumbnail: &dyn Fn(&str) -> Option<String>,
) {
    let _ = write!(out, "<h3>{title}</h3><div class=\"grid\">");
    for row in rows {
        let picture = row.image.as_deref().and_then(thumbnail).map_or_else(
            || "<div class=\"missing\">no image</div>".to_string(),
            |uri| {
                format!(
                    "<img src=\"{uri}\" alt=\"id {}\"/>",
                    text(&row.id.to_string())
                )
            },
        );
        let outcome = if row.correct {
            "<span class=\"right\">✓</span>"
        } else {
            "<span class=\"wrong\">✗</span>"
        };
        let _ = write!(
            out,
            "<figure>{picture}<figcaption>{outcome} {} · {}{}</figcaption></figure>",
            text(&row.id.to_string()),
            row.sigma
                .map_or(format!("{:.3}", row.decision_value), |s| format!(
                    "{s:+.2}σ"
                )),
            row.prediction
                .as_deref()
                .filter(|_| !row.correct)
                .map_or(String::new(), |p| format!("<br/>as {}", text(p)))
        );
    }
    out.push_str("</div>");
}

fn captions(out: &mut String, title: &str, captions: &[super::json::CaptionOut]) {
    if captions.is_empty() {
        return;
    }
    let _ = write!(out, "<h3>{title}</h3><table>");
    for c in captions {
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td></tr>",
            c.sigma
                .map_or(format!("{:.3}", c.score), |s| format!("{s:+.2}σ")),
            text(&c.text)
        );
    }
    out.push_str("</table>");
}

/// A 95% Wilson interval of an accuracy measured on `n` rows.
fn wilson(p: f64, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n) = (1.96f64, n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Horizontal bars, 0-100%, with 95% Wilson whiskers where the rows are counted.
fn bar_chart(out: &mut String, bars: &[(String, f64, Option<usize>, &str)]) {
    let (width, row) = (420.0, 34.0);
    let height = row * bars.len() as f64 + 20.0;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">"
    );
    let x = |v: f64| 10.0 + v * (width - 70.0);
    for (i, (label, value, k, colour)) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let _ = write!(
            out,
            "<text x=\"10\" y=\"{:.1}\" font-size=\"11\" fill=\"#333\">{}</text><rect x=\"10\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{colour}\" rx=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{:.0}%</text>",
            y + 10.0,
            text(&truncate(label, 60)),
            y + 14.0,
            x(*value) - 10.0,
            x(1.0) + 6.0,
            y + 24.0,
            100.0 * value
        );
        if let Some(k) = k {
            let (low, high) = wilson(*value, *k);
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\" stroke-width=\"1.5\"/>",
                x(low),
                x(high),
                y + 20.0,
                y + 20.0
            );
        }
    }
    let _ = write!(
        out,
        "<line x1=\"10\" x2=\"10\" y1=\"0\" y2=\"{:.1}\" stroke=\"#999\"/></svg>",
        height - 16.0
    );
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Error rate among the K hardest along the direction (solid) and the K least confident
/// (dashed), over the report's K.
fn curve(out: &mut String, baseline: &[BaselineRow]) {
    let (width, height, pad) = (420.0, 150.0, 30.0);
    let max_k = baseline.iter().map(|b| b.k).max().unwrap_or(1) as f64;
    let x = |k: usize| pad + (k as f64 / max_k) * (width - 2.0 * pad);
    let y = |rate: f64| height - pad + 10.0 - rate * (height - pad - 10.0);
    let line = |rates: &[(usize, f64)]| -> String {
        rates
            .iter()
            .map(|(k, r)| format!("{:.1},{:.1}", x(*k), y(*r)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let svm: Vec<(usize, f64)> = baseline.iter().map(|b| (b.k, b.svm_error_rate)).collect();
    let confidence: Vec<(usize, f64)> = baseline
        .iter()
        .filter_map(|b| b.confidence_error_rate.map(|r| (b.k, r)))
        .collect();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\"><line x1=\"{pad}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/><line x1=\"{pad}\" y1=\"10\" x2=\"{pad}\" y2=\"{:.1}\" stroke=\"#999\"/><text x=\"2\" y=\"14\" font-size=\"10\">100%</text><text x=\"8\" y=\"{:.1}\" font-size=\"10\">0%</text>",
        y(0.0),
        width - pad,
        y(0.0),
        y(0.0),
        y(0.0)
    );
    for b in baseline {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">K={}</text>",
            x(b.k),
            height - 4.0,
            b.k
        );
    }
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>",
        line(&svm)
    );
    if !confidence.is_empty() {
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#2e86c1\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>",
            line(&confidence)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"22\" font-size=\"11\" fill=\"#c0392b\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">direction</text>{}</svg>",
        width - 150.0,
        if confidence.is_empty() {
            String::new()
        } else {
            format!(
                "<text x=\"{:.1}\" y=\"36\" font-size=\"11\" fill=\"#2e86c1\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">least confident</text>",
                width - 150.0
            )
        }
    );
}

/// Whether a class's section shows its rows, captions and check: only when its first mode is
/// significant (a ranking better than chance, even where the confidence ranks better still).
/// The rest would illustrate noise, and on a page of 1,000 classes their thumbnails were most of
/// its size.
fn shows_rows(c: &ClassReport) -> bool {
    c.modes.first().is_some_and(|m| m.evidence.significant)
        && !(c.hardest.is_empty() && c.easiest.is_empty())
}

/// The page for `report`, with thumbnails of the rows' images (the paths the report holds,
/// already resolved against the dataset's folder by the loader), made in parallel.
pub fn page(report: &Report, marks: &Marks) -> String {
    use rayon::prelude::*;
    let mut images: Vec<&str> = report
        .classes
        .iter()
        .filter(|c| shows_rows(c))
        .flat_map(|c| c.hardest.iter().chain(&c.easiest))
        .filter_map(|row| row.image.as_deref())
        .collect();
    images.sort_unstable();
    images.dedup();
    let thumbnails: HashMap<&str, Option<String>> = images
        .par_iter()
        .map(|&image| (image, super::thumbnail::data_uri(Path::new(image))))
        .collect();
    let thumbnail = |image: &str| thumbnails.get(image).cloned().flatten();
    render(report, &thumbnail, marks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_are_the_textbook_ones() {
        // 24 right of 50 (48%): 95% Wilson interval 34.8% to 61.5%.
        let (low, high) = wilson(0.48, 50);
        assert!(
            (low - 0.348).abs() < 0.001 && (high - 0.615).abs() < 0.001,
            "{low} {high}"
        );
        assert_eq!(wilson(0.5, 0), (0.0, 1.0));
    }

    /// A small planted world's report, rendered with a triage mark and a note.
    #[test]
    fn marks_and_notes_sit_beside_their_class() {
        use crate::analysis::direction::FitOptions;
        use crate::analysis::findings::{all_findings, shared_findings, FindingOptions};
        use crate::demo::{generate_world, Attribute, ClassSpec, DemoOptions, Planted};
        let demo = generate_world(
            &[
                ClassSpec::new("cat", Planted::Hard(Attribute::Context(1))),
                ClassSpec::new("dog", Planted::Control),
            ],
            &DemoOptions {
                seed: 2,
                dim: 32,
                per_split: [60, 150, 150, 0],
            },
        );
        let data = &demo.dataset;
        let model = crate::analysis::fit_model(data, &FitOptions::default()).unwrap();
        let options = FindingOptions::default();
        let findings = all_findings(data, &model, Some(&demo.captions), None, &options);
        let shared = shared_findings(data, &model, Some(&demo.captions), &options);
        let report = super::super::json::report(
            data,
            &model,
            Some(&demo.captions),
            &findings,
            &shared,
            false,
            &options,
        );
        let marks = Marks::from([(
            "cat".to_string(),
            (
                Some("needs data".to_string()),
                "more <snow> photos".to_string(),
            ),
        )]);
        let page = render(&report, &|_| None, &marks);
        let cat = page.find("<section id=\"class-0\">").unwrap();
        let dog = page.find("<section id=\"class-1\">").unwrap();
        let mark = page[cat..dog].find("<span class=\"mark\">needs data</span>");
        assert!(mark.is_some(), "the mark is in cat's section");
        assert!(page[cat..dog].contains("note: more &lt;snow&gt; photos"));
        assert!(!page[dog..].contains("needs data"), "and only there");
        // In the summary too, before the sections.
        assert!(page[..cat].contains("<td>needs data</td>"));
        // The page is XML-well-formed.
        roxmltree::Document::parse_with_options(
            &page,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
    }

    #[test]
    fn data_text_is_escaped() {
        assert_eq!(text("<b>&\"x'\u{1b}"), "&lt;b&gt;&amp;&quot;x&#39;\\x1b");
    }
}
