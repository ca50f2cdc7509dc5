//! The comparison of two models (`faultline diff`) as JSON (docs/diff-schema.md), a table, Markdown
//! for a pull request, and JUnit XML.

use super::junit;
use crate::analysis::compare::{
    CaptionDiff, ClassDiff, Comparison, ModeDiff, NewMode, Paired, Verdict,
};
use crate::analysis::stats::{Interval, BOOTSTRAP_REPLICATES};
use crate::analysis::Along;
use crate::text::visible;
use serde::Serialize;
use std::fmt::Write;

pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// Where each model's predictions came from, as the report names them.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSource {
    /// The dataset file the predictions were read from.
    pub path: String,
    pub prediction_column: String,
    pub confidence_column: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    /// Always "diff": tells this file from a `report` one.
    pub kind: &'static str,
    pub faultline_version: &'static str,
    pub before: ModelSource,
    pub after: ModelSource,
    pub rows: usize,
    pub classes_count: usize,
    pub matching: Matching,
    pub bootstrap_replicates: usize,
    /// How many modes got each verdict (new modes counted once each).
    pub counts: Counts,
    pub gate: Gate,
    pub classes: Vec<ClassOut>,
}

impl DiffReport {
    /// Classes with no failure mode before and none after.
    pub fn quiet_classes(&self) -> usize {
        self.classes
            .iter()
            .filter(|c| c.verdict == Verdict::NotAFinding)
            .count()
    }
}

/// How an after mode is matched to a before one (see README, "Did the fix work?").
#[derive(Debug, Serialize)]
pub struct Matching {
    /// At least this share of the after mode's hard-side test errors on the before mode's
    /// hard side...
    pub hard_error_share: f64,
    /// ...or their directions at least this cosine apart.
    pub direction_cosine: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub fixed: usize,
    pub weaker: usize,
    pub persisting: usize,
    pub regressed: usize,
    pub new: usize,
    pub not_a_finding: usize,
}

#[derive(Debug, Serialize)]
pub struct Gate {
    /// The verdicts that fail the gate (`--fail-on`); empty when no gate was asked for.
    pub fail_on: Vec<Verdict>,
    pub failed: bool,
}

#[derive(Debug, Serialize)]
pub struct ClassOut {
    pub index: u32,
    pub name: String,
    /// The worst verdict of the class: regressed, new, persisting, weaker, fixed, or
    /// not_a_finding when nothing was found before or after.
    pub verdict: Verdict,
    pub test_rows: usize,
    /// The whole class's test accuracy under each model.
    pub accuracy: Option<Paired>,
    pub modes: Vec<ModeOut>,
    pub new_modes: Vec<NewModeOut>,
}

#[derive(Debug, Serialize)]
pub struct NearCaption {
    pub caption: String,
    pub k: usize,
    pub before: f64,
    pub after: f64,
    pub change: Interval,
}

fn near_caption(caption: &str, near: &Paired) -> NearCaption {
    NearCaption {
        caption: caption.to_string(),
        k: near.rows,
        before: near.before,
        after: near.after,
        change: near.change,
    }
}

fn near_hard(c: &CaptionDiff) -> NearCaption {
    near_caption(&c.hard_caption, &c.near_hard)
}

fn near_easy(c: &CaptionDiff) -> NearCaption {
    near_caption(&c.easy_caption, &c.near_easy)
}

/// A mode by number as the reports count them: `{"mode": 2}` or `{"shared_mode": 1}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ModeRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_mode: Option<usize>,
}

impl ModeRef {
    fn of(along: Along) -> ModeRef {
        match along {
            Along::Mode(p) => ModeRef {
                mode: Some(p + 1),
                shared_mode: None,
            },
            Along::Shared(s) => ModeRef {
                mode: None,
                shared_mode: Some(s + 1),
            },
        }
    }
}

/// "mode 2" or "shared mode 1".
pub fn mode_label(along: Along) -> String {
    match along {
        Along::Mode(p) => format!("mode {}", p + 1),
        Along::Shared(s) => format!("shared mode {}", s + 1),
    }
}

#[derive(Debug, Serialize)]
pub struct ModeOut {
    /// The before model's mode.
    #[serde(flatten)]
    pub mode: ModeRef,
    pub verdict: Verdict,
    /// Whether the before model's mode was a finding (significant on its held-out test).
    pub significant: bool,
    /// Accuracy of the test rows on the before mode's hard side (decision value below zero)
    /// and easy side, under each model, with the change's interval.
    pub hard: Paired,
    pub easy: Paired,
    /// Easy minus hard accuracy under each model, and the change of that gap.
    pub gap_before: Interval,
    pub gap_after: Interval,
    pub gap_change: Interval,
    /// The check under each model: the K test rows nearest the before mode's hardest caption
    /// and nearest its easiest.
    pub near_hard_caption: Option<NearCaption>,
    pub near_easy_caption: Option<NearCaption>,
    /// The after model's finding that matches this mode.
    pub matched_by: Option<ModeRef>,
}

#[derive(Debug, Serialize)]
pub struct NewModeOut {
    /// The after model's mode.
    #[serde(flatten)]
    pub mode: ModeRef,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub auc: Option<f64>,
    /// Accuracy on its hard side under each model.
    pub hard: Paired,
    pub gap_before: Interval,
    pub gap_after: Interval,
    /// Grew significantly, or it would not be new.
    pub gap_change: Interval,
    /// Its check (captions as the after model names them) under each model.
    pub near_hard_caption: Option<NearCaption>,
    pub near_easy_caption: Option<NearCaption>,
}

fn mode_out(m: &ModeDiff) -> ModeOut {
    ModeOut {
        mode: ModeRef::of(m.along),
        verdict: m.verdict,
        significant: m.significant,
        hard: m.hard,
        easy: m.easy,
        gap_before: m.gap_before,
        gap_after: m.gap_after,
        gap_change: m.gap_change,
        near_hard_caption: m.check.as_ref().map(near_hard),
        near_easy_caption: m.check.as_ref().map(near_easy),
        matched_by: m.matched_by.map(ModeRef::of),
    }
}

fn new_out(m: &NewMode) -> NewModeOut {
    NewModeOut {
        mode: ModeRef::of(m.along),
        p_value: m.evidence.p_value,
        q_value: m.evidence.q_value,
        auc: m.evidence.test.map(|t| t.auc),
        hard: m.hard,
        gap_before: m.gap_before,
        gap_after: m.gap_after,
        gap_change: m.gap_change,
        near_hard_caption: m.check.as_ref().map(near_hard),
        near_easy_caption: m.check.as_ref().map(near_easy),
    }
}

pub fn report(
    comparison: &Comparison,
    class_names: &[String],
    rows: usize,
    (before, after): (ModelSource, ModelSource),
    fail_on: &[Verdict],
) -> DiffReport {
    let count = |v| comparison.count(v);
    DiffReport {
        schema_version: DIFF_SCHEMA_VERSION,
        kind: "diff",
        faultline_version: env!("CARGO_PKG_VERSION"),
        before,
        after,
        rows,
        classes_count: class_names.len(),
        matching: Matching {
            hard_error_share: crate::analysis::compare::MATCH,
            direction_cosine: crate::analysis::compare::MATCH,
        },
        bootstrap_replicates: BOOTSTRAP_REPLICATES,
        counts: Counts {
            fixed: count(Verdict::Fixed),
            weaker: count(Verdict::Weaker),
            persisting: count(Verdict::Persisting),
            regressed: count(Verdict::Regressed),
            new: count(Verdict::New),
            not_a_finding: count(Verdict::NotAFinding),
        },
        gate: Gate {
            fail_on: fail_on.to_vec(),
            failed: !comparison.failing(fail_on).is_empty(),
        },
        classes: comparison
            .classes
            .iter()
            .map(|c| class_out(c, class_names))
            .collect(),
    }
}

fn class_out(c: &ClassDiff, names: &[String]) -> ClassOut {
    ClassOut {
        index: c.class,
        name: names[c.class as usize].clone(),
        verdict: c.summary(),
        test_rows: c.test_rows,
        accuracy: c.accuracy,
        modes: c.modes.iter().map(mode_out).collect(),
        new_modes: c.new.iter().map(new_out).collect(),
    }
}

pub(super) fn mode_name(m: &ModeRef) -> String {
    match (m.mode, m.shared_mode) {
        (Some(k), _) => format!("mode {k}"),
        (None, Some(s)) => format!("shared mode {s}"),
        (None, None) => "mode".into(),
    }
}

/// "12 fixed, 1 weaker, 2 persisting, 1 regressed, 1 new, 5 not a finding".
fn counts_text(c: &Counts) -> String {
    let parts = [
        (c.fixed, "fixed"),
        (c.weaker, "weaker"),
        (c.persisting, "persisting"),
        (c.regressed, "regressed"),
        (c.new, "new"),
        (c.not_a_finding, "not a finding"),
    ];
    parts
        .iter()
        .map(|(n, name)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn source_text(s: &ModelSource) -> String {
    format!(
        "{}, column '{}'{}",
        visible(&s.path),
        visible(&s.prediction_column),
        s.confidence_column
            .as_deref()
            .map_or(String::new(), |c| format!(" (confidence '{}')", visible(c)))
    )
}

/// "0.255 → 0.880 (+62.5 points, 95% CI +52.0 to +72.1)".
fn paired_text(p: &Paired) -> String {
    format!(
        "{:.3} → {:.3} ({} points, 95% CI {} to {})",
        p.before,
        p.after,
        signed_points(p.change.estimate, 1),
        signed_points(p.change.low, 1),
        signed_points(p.change.high, 1)
    )
}

/// A change as signed percentage points, never "-0" (a rounded tiny loss reads as no change).
pub(crate) fn signed_points(x: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    // Adding 0.0 turns the -0.0 that rounding leaves into 0.0.
    let rounded = (x * 100.0 * scale).round() / scale + 0.0;
    format!("{rounded:+.decimals$}")
}

fn points(i: &Interval) -> String {
    format!("{:.0}", i.estimate * 100.0)
}

fn gate_text(g: &Gate) -> String {
    if g.fail_on.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = g.fail_on.iter().map(|v| v.name()).collect();
    format!(
        "; gate (fail on {}): {}",
        names.join(", "),
        if g.failed { "FAILED" } else { "passed" }
    )
}

pub fn table(r: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "before: {}", source_text(&r.before));
    let _ = writeln!(out, "after:  {}", source_text(&r.after));
    let _ = writeln!(out, "{}{}", counts_text(&r.counts), gate_text(&r.gate));
    let width = r
        .classes
        .iter()
        .map(|c| visible(&c.name).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 24);
    let accuracies: Vec<String> = r
        .classes
        .iter()
        .map(|c| c.accuracy.as_ref().map_or("-".into(), paired_text))
        .collect();
    let accuracy_header = "class accuracy before → after";
    let accuracy_width = accuracies
        .iter()
        .chain([&accuracy_header.to_string()])
        .map(|a| a.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:<13}  {:<accuracy_width$}  modes",
        "class", "verdict", accuracy_header
    );
    for (c, accuracy) in r.classes.iter().zip(&accuracies) {
        let verdicts: Vec<String> = c
            .modes
            .iter()
            .filter(|m| m.verdict != Verdict::NotAFinding)
            .map(|m| format!("{} {}", mode_name(&m.mode), m.verdict.name()))
            .chain(
                c.new_modes
                    .iter()
                    .map(|m| format!("new (after's {})", mode_name(&m.mode))),
            )
            .collect();
        let name: String = visible(&c.name).chars().take(width).collect();
        let _ = writeln!(
            out,
            "{:<width$}  {:<13}  {:<accuracy_width$}  {}",
            name,
            c.verdict.name(),
            accuracy,
            if verdicts.is_empty() {
                "-".into()
            } else {
                verdicts.join(", ")
            }
        );
    }
    for c in &r.classes {
        let judged: Vec<&ModeOut> = c
            .modes
            .iter()
            .filter(|m| m.verdict != Verdict::NotAFinding)
            .collect();
        if judged.is_empty() && c.new_modes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n── {} ({}) ──", visible(&c.name), c.verdict.name());
        for m in judged {
            let name = m
                .near_hard_caption
                .as_ref()
                .map_or(String::new(), |n| format!(" \"{}\"", visible(&n.caption)));
            let _ = writeln!(out, "  {}{name}: {}", mode_name(&m.mode), m.verdict.name());
            let _ = writeln!(
                out,
                "    hard side ({} test rows): {}",
                m.hard.rows,
                paired_text(&m.hard)
            );
            let _ = writeln!(
                out,
                "    easy side ({} test rows): {}",
                m.easy.rows,
                paired_text(&m.easy)
            );
            let _ = writeln!(
                out,
                "    gap {} → {} points (change {}, 95% CI {} to {})",
                points(&m.gap_before),
                points(&m.gap_after),
                signed_points(m.gap_change.estimate, 0),
                signed_points(m.gap_change.low, 0),
                signed_points(m.gap_change.high, 0)
            );
            if let Some(n) = &m.near_hard_caption {
                let _ = writeln!(
                    out,
                    "    {} test rows nearest its hard caption: {:.3} → {:.3} ({} points, 95% CI {} to {})",
                    n.k,
                    n.before,
                    n.after,
                    signed_points(n.change.estimate, 1),
                    signed_points(n.change.low, 1),
                    signed_points(n.change.high, 1)
                );
            }
            if let Some(by) = &m.matched_by {
                let _ = writeln!(out, "    the after model's {} matches it", mode_name(by));
            }
        }
        for m in &c.new_modes {
            let name = m
                .near_hard_caption
                .as_ref()
                .map_or(String::new(), |n| format!(" \"{}\"", visible(&n.caption)));
            let _ = writeln!(
                out,
                "  new: the after model's {}{name}: {}",
                mode_name(&m.mode),
                match (m.auc, m.p_value, m.q_value) {
                    (Some(auc), Some(p), Some(q)) => format!(
                        "AUC {auc:.2}, {}, {}",
                        crate::text::p_value("p", p),
                        crate::text::p_value("q", q)
                    ),
                    _ => "significant".into(),
                }
            );
            let _ = writeln!(
                out,
                "    its hard side ({} test rows): {}; gap {} → {} points",
                m.hard.rows,
                paired_text(&m.hard),
                points(&m.gap_before),
                points(&m.gap_after)
            );
        }
    }
    out
}

/// Markdown for a pull request: a summary line, then a table of every judged mode.
pub fn markdown(r: &DiffReport) -> String {
    let cell = super::markdown::cell;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## faultline diff: {}\n\nBefore: {}  \nAfter: {}{}\n",
        counts_text(&r.counts),
        cell(&source_text(&r.before)),
        cell(&source_text(&r.after)),
        if r.gate.fail_on.is_empty() {
            String::new()
        } else {
            format!(
                "  \nGate: **{}**",
                if r.gate.failed { "failed" } else { "passed" }
            )
        }
    );
    let _ = writeln!(
        out,
        "| class | mode | hard caption | verdict | hard-side accuracy | gap (points) | class accuracy |\n|---|---|---|---|---:|---:|---:|"
    );
    let mark = |v: Verdict| match v {
        Verdict::Fixed => "✅ fixed",
        Verdict::Weaker => "↘ weaker",
        Verdict::Persisting => "⚠ persisting",
        Verdict::Regressed => "❌ regressed",
        Verdict::New => "🆕 new",
        Verdict::NotAFinding => "not a finding",
    };
    let accuracy = |p: &Option<Paired>| {
        p.as_ref()
            .map_or("-".into(), |p| format!("{:.3} → {:.3}", p.before, p.after))
    };
    for c in &r.classes {
        for m in c.modes.iter().filter(|m| m.verdict != Verdict::NotAFinding) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.3} → {:.3} | {} → {} | {} |",
                cell(&c.name),
                mode_name(&m.mode),
                m.near_hard_caption
                    .as_ref()
                    .map_or(String::new(), |n| cell(&n.caption)),
                mark(m.verdict),
                m.hard.before,
                m.hard.after,
                points(&m.gap_before),
                points(&m.gap_after),
                accuracy(&c.accuracy)
            );
        }
        for m in &c.new_modes {
            let _ = writeln!(
                out,
                "| {} | {} (after) | {} | {} | {:.3} → {:.3} | {} → {} | {} |",
                cell(&c.name),
                mode_name(&m.mode),
                m.near_hard_caption
                    .as_ref()
                    .map_or(String::new(), |n| cell(&n.caption)),
                mark(Verdict::New),
                m.hard.before,
                m.hard.after,
                points(&m.gap_before),
                points(&m.gap_after),
                accuracy(&c.accuracy)
            );
        }
    }
    let quiet = r.quiet_classes();
    if quiet > 0 {
        let _ = writeln!(
            out,
            "\n{quiet} classes had no failure mode before or after. Gap: accuracy on a mode's easy side minus its hard side (test rows); verdicts read the 95% bootstrap interval of the gap's change ({} paired resamples).",
            r.bootstrap_replicates
        );
    }
    out
}

/// The comparison as JUnit: a test case per class, failed when it has a verdict in `fail_on`.
pub fn junit_suite(r: &DiffReport, fail_on: &[Verdict], seconds: f64) -> junit::Suite {
    let cases = r
        .classes
        .iter()
        .map(|c| {
            let verdicts: Vec<(String, Verdict)> = c
                .modes
                .iter()
                .map(|m| (mode_name(&m.mode), m.verdict))
                .chain(
                    c.new_modes
                        .iter()
                        .map(|m| (mode_name(&m.mode), Verdict::New)),
                )
                .collect();
            let failing: Vec<String> = verdicts
                .iter()
                .filter(|(_, v)| fail_on.contains(v))
                .map(|(m, v)| format!("{m} {}", v.name()))
                .collect();
            let mut output = String::new();
            if let Some(a) = &c.accuracy {
                let _ = writeln!(output, "class accuracy {}", paired_text(a));
            }
            for m in &c.modes {
                let _ = writeln!(
                    output,
                    "{} {}: hard side {}; gap {} → {} points",
                    mode_name(&m.mode),
                    m.verdict.name(),
                    paired_text(&m.hard),
                    points(&m.gap_before),
                    points(&m.gap_after)
                );
            }
            for m in &c.new_modes {
                let _ = writeln!(
                    output,
                    "new {} of the after model: hard side {}",
                    mode_name(&m.mode),
                    paired_text(&m.hard)
                );
            }
            junit::Case {
                name: c.name.clone(),
                failure: (!failing.is_empty()).then(|| junit::Failure {
                    message: failing.join(", "),
                    kind: failing_kind(&verdicts, fail_on),
                }),
                skipped: None,
                output,
            }
        })
        .collect();
    let names: Vec<&str> = fail_on.iter().map(|v| v.name()).collect();
    junit::Suite {
        name: "faultline diff".into(),
        package: "faultline.diff".into(),
        cases,
        properties: vec![
            ("before".into(), source_text(&r.before)),
            ("after".into(), source_text(&r.after)),
            ("fail_on".into(), names.join(",")),
        ],
        seconds,
        timestamp: junit::timestamp_now(),
        hostname: junit::hostname(),
    }
}

/// The first failing verdict's name, as the failure's type.
fn failing_kind(verdicts: &[(String, Verdict)], fail_on: &[Verdict]) -> String {
    verdicts
        .iter()
        .find(|(_, v)| fail_on.contains(v))
        .map_or("verdict".into(), |(_, v)| v.name().replace(' ', "_"))
}
