//! The check: which mode this is and the evidence that it is real (q-value, AUC, how many of
//! the class's errors it holds), accuracy near the hard caption vs near the easy caption vs the
//! class with the gap's interval, each bar naming its caption, the typed caption's result, the
//! SVM-vs-confidence error rates at K = 10/25/50/100, the caveats and triage note. On the
//! shared entry: each class the shared mode hurts. Lines, so at any size nothing is cut: the
//! pane can be focused and scrolled.

use super::{block, distinctive, shown};
use crate::analysis::assess::Evidence;
use crate::analysis::compare::{Paired, Verdict};
use crate::analysis::findings::SharedFindings;
use crate::ui::app::{App, Pane};
use crate::ui::comparison;
use crate::ui::theme::Theme;
use crate::ui::typed_caption::{TypedCaption, TypedResult};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// "hard  60% ██████░░░░ …grey boat indoors"
fn bar_line<'a>(label: &str, accuracy: f64, colour: Color, text: String, width: u16) -> Line<'a> {
    let bar_width = (usize::from(width.saturating_sub(12)) / 3).clamp(4, 12);
    let filled = ((accuracy * bar_width as f64).round() as usize).min(bar_width);
    Line::from(vec![
        Span::raw(format!("{label:<5} {:>3.0}% ", accuracy * 100.0)),
        Span::styled("█".repeat(filled), Style::default().fg(colour)),
        Span::styled("░".repeat(bar_width - filled), Style::default().fg(colour)),
        Span::raw(if text.is_empty() {
            text
        } else {
            format!(" {text}")
        }),
    ])
}

/// "q < 0.001 · AUC 0.87": the test of a mode, in a few words.
fn evidence_short(e: &Evidence) -> String {
    match (e.q_value, e.test) {
        (Some(q), Some(t)) => format!("{} · AUC {:.2}", crate::text::p_value("q", q), t.auc),
        _ => "not tested".into(),
    }
}

/// Paints `lines` scrolled to the pane's cursor; returns their count.
fn paint(frame: &mut Frame, inner: Rect, app: &App, lines: Vec<Line>) -> usize {
    let total = lines.len();
    let offset = app.check.cursor.min(total.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((offset as u16, 0)),
        inner,
    );
    total
}

/// The shared entry: each class the shared mode hurts, its accuracy overall and on the mode's
/// hard side, near the mode's caption, and the test.
fn shared_lines<'a>(shared: &SharedFindings, count: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(
        format!(
            "shared mode {} of {count}: {} classes, {} test errors on its hard side",
            shared.position + 1,
            shared.classes.len(),
            shared.hard_errors()
        ),
        theme.accent,
    )];
    lines.push(Line::styled(
        "class: accuracy → on its hard side · near its caption",
        theme.muted,
    ));
    for c in &shared.classes {
        let near = c.near_caption.as_ref().map_or(String::new(), |n| {
            format!(" · near {:.0}%", n.accuracy * 100.0)
        });
        let explains = if c.explains.is_empty() {
            String::new()
        } else {
            let modes: Vec<String> = c.explains.iter().map(|m| (m + 1).to_string()).collect();
            format!(" · its mode {}", modes.join(", "))
        };
        lines.push(Line::from(format!(
            "{}: {:.0}% → {:.0}%{near} · {}{explains}",
            shown(&c.name),
            c.test_accuracy.unwrap_or(0.0) * 100.0,
            c.hard_accuracy.unwrap_or(0.0) * 100.0,
            evidence_short(&c.evidence),
        )));
    }
    lines
}

/// "26% → 88%".
fn paired(p: &Paired) -> String {
    format!("{:.0}% → {:.0}%", p.before * 100.0, p.after * 100.0)
}

/// Comparison mode, first thing in the pane: the verdict on the mode shown and the numbers
/// behind it under both models, then what the after model found that is new.
fn comparison_lines<'a>(app: &App, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let (Some(view), Some(along)) = (&app.comparison, app.along()) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(shared) = app.shared_view() {
        lines.push(Line::styled(
            format!("shared mode {}, before → after:", shared.position + 1),
            theme.muted,
        ));
        for c in &shared.classes {
            let Some(m) = view.mode(c.class, along) else {
                continue;
            };
            lines.push(Line::from(vec![
                Span::raw(format!("{}: ", shown(&c.name))),
                Span::styled(m.verdict.name(), comparison::style(m.verdict, theme)),
                Span::raw(format!(" · hard side {}", paired(&m.hard))),
            ]));
        }
        return lines;
    }
    let Some(class) = app.selected_class() else {
        return lines;
    };
    let diff = view.class(class);
    if let Some(m) = view.mode(class, along) {
        let what = if m.significant {
            m.verdict.name().to_string()
        } else {
            "not a finding before".into()
        };
        lines.push(Line::styled(
            format!("before → after: {what}"),
            comparison::style(m.verdict, theme),
        ));
        let row = |label: &str, p: &Paired, colour: Color| {
            // The rows count only where the line has room for it (no wrapped bar).
            let note = if width >= 48 {
                format!("was {:.0}% ({} rows)", p.before * 100.0, p.rows)
            } else {
                format!("was {:.0}%", p.before * 100.0)
            };
            bar_line(label, p.after, colour, note, width)
        };
        lines.push(row("hard", &m.hard, theme.bar_hard));
        lines.push(row("easy", &m.easy, theme.bar_easy));
        let points = crate::report::diff::signed_points;
        let (before, after) = (m.gap_before.estimate * 100.0, m.gap_after.estimate * 100.0);
        let change = points(m.gap_change.estimate, 0);
        let (low, high) = (points(m.gap_change.low, 0), points(m.gap_change.high, 0));
        // Narrow panes get the short forms, so no line wraps mid-number.
        lines.push(Line::from(if width >= 48 {
            format!("gap {before:.0} → {after:.0} points, change {change} (CI {low} to {high})")
        } else {
            format!("gap {before:.0} → {after:.0} ({change}, CI {low} to {high})")
        }));
        if let Some(check) = &m.check {
            if width >= 48 {
                lines.push(Line::from(format!(
                    "near hard caption {} · easy {}",
                    paired(&check.near_hard),
                    paired(&check.near_easy)
                )));
            } else {
                lines.push(Line::from(format!(
                    "near hard {}",
                    paired(&check.near_hard)
                )));
                lines.push(Line::from(format!(
                    "near easy {}",
                    paired(&check.near_easy)
                )));
            }
        }
    }
    if let Some(accuracy) = diff.and_then(|d| d.accuracy.as_ref()) {
        lines.push(Line::from(format!("class {}", paired(accuracy))));
    }
    for new in diff.map_or(&[][..], |d| d.new.as_slice()) {
        let name = new
            .check
            .as_ref()
            .map_or(String::new(), |c| format!(" {}", shown(&c.hard_caption)));
        lines.push(Line::styled(
            format!(
                "new in the after model: its {}{name}: hard side {}",
                crate::report::diff::mode_label(new.along),
                paired(&new.hard)
            ),
            comparison::style(Verdict::New, theme),
        ));
    }
    lines.push(Line::styled("before model:", theme.muted));
    lines
}

/// Draws the pane; returns how many lines it has (how far it scrolls).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let focused = app.focus == Pane::Check;
    let outer = block("Check", focused, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let mut lines = comparison_lines(app, theme, inner.width);
    if let Some(shared) = app.shared_view() {
        lines.extend(shared_lines(shared, app.mode_count(), theme));
        return paint(frame, inner, app, lines);
    }
    let (Some(class_findings), Some(findings)) = (app.findings(), app.view()) else {
        let text = match app.fit {
            crate::ui::app::FitState::Failed(_) => "no fit, so no check",
            _ => "waiting for the fit…",
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted), inner);
        return 0;
    };
    // Which mode, and whether it is real: where the user decides.
    let e = &findings.assessment.evidence;
    let which = if class_findings.modes.len() > 1 {
        format!(
            "mode {} of {}",
            findings.position + 1,
            class_findings.modes.len()
        )
    } else {
        "mode 1".to_string()
    };
    lines.push(Line::styled(
        format!("{which}: {}", evidence_short(e)),
        if e.significant {
            theme.accent
        } else {
            theme.warning
        },
    ));
    if let (Some(coverage), Some(lift)) = (e.coverage, e.lift) {
        lines.push(Line::from(format!(
            "{:.0}% of its errors, {lift:.1}x its error rate",
            coverage * 100.0
        )));
    }
    if !findings.assessment.blends.is_empty() {
        let modes: Vec<String> = findings
            .assessment
            .blends
            .iter()
            .map(|m| (m + 1).to_string())
            .collect();
        lines.push(Line::styled(
            format!("blends modes {}: press m", modes.join(" and ")),
            theme.accent,
        ));
    }
    if let Some(shared) = findings.assessment.shared {
        lines.push(Line::styled(
            format!("shared with other classes: shared mode {}", shared + 1),
            theme.accent,
        ));
    }
    let reference = findings
        .captions
        .as_ref()
        .map_or(String::new(), |c| c.reference.text.clone());
    let typed = app
        .typed
        .as_ref()
        .filter(|t| Some(t.class) == app.selected_class());
    // The typed caption's result first, where the user looks after pressing c.
    let typed_lines = |lines: &mut Vec<Line>| {
        if let Some(TypedCaption { text, result, .. }) = typed {
            let text = distinctive(text, &reference);
            match result {
                TypedResult::Pending => lines.push(Line::styled(
                    format!("yours: embedding… {text}"),
                    theme.accent,
                )),
                TypedResult::Failed(e) => {
                    lines.push(Line::styled(format!("yours: {}", shown(e)), theme.warning))
                }
                TypedResult::Scored {
                    score,
                    near,
                    across,
                } => {
                    let score = super::score(Some(findings), *score);
                    match near {
                        Some(near) => lines.push(bar_line(
                            "yours",
                            near.accuracy,
                            theme.accent.fg.unwrap_or_default(),
                            format!("{text} ({score})"),
                            inner.width,
                        )),
                        None => lines.push(Line::styled(
                            format!("yours: {text} ({score})"),
                            theme.accent,
                        )),
                    }
                    // Where else the caption's images are: a failure mode may cut across classes.
                    match across {
                        Some(Ok(across)) => {
                            let classes: Vec<String> = across
                                .classes
                                .iter()
                                .take(3)
                                .map(|(c, n)| {
                                    format!("{} {n}", shown(&app.dataset.class_names[*c as usize]))
                                })
                                .collect();
                            lines.push(Line::styled(
                                format!(
                                    "all classes: {} nearest {:.0}% right · {}",
                                    across.k,
                                    across.accuracy * 100.0,
                                    classes.join(" · ")
                                ),
                                theme.accent,
                            ));
                        }
                        Some(Err(why)) => lines.push(Line::styled(
                            format!("all classes: {}", shown(why)),
                            theme.muted,
                        )),
                        None => {}
                    }
                }
            }
        }
    };
    match &findings.check {
        Some(check) => {
            lines.push(Line::styled(
                format!("accuracy, {} nearest test images", check.near_hard.k),
                theme.muted,
            ));
            typed_lines(&mut lines);
            lines.push(bar_line(
                "hard",
                check.near_hard.accuracy,
                theme.bar_hard,
                distinctive(&check.hard_caption, &reference),
                inner.width,
            ));
            lines.push(bar_line(
                "easy",
                check.near_easy.accuracy,
                theme.bar_easy,
                distinctive(&check.easy_caption, &reference),
                inner.width,
            ));
            lines.push(bar_line(
                "class",
                check.class_accuracy,
                theme.bar_class,
                String::new(),
                inner.width,
            ));
            if let Some(g) = check.gap {
                lines.push(Line::from(format!(
                    "gap {}",
                    crate::text::gap_points(g.estimate, g.low, g.high, g.level)
                )));
            }
        }
        None => {
            lines.push(Line::styled(
                "no caption check without captions (--captions FILE)",
                theme.muted,
            ));
            typed_lines(&mut lines);
        }
    }
    if let Some(r) = &findings.rows_gap {
        lines.push(Line::styled(
            format!(
                "{} hardest {:.0}% right, {} easiest {:.0}%: gap {}",
                r.k,
                r.hardest_accuracy * 100.0,
                r.k,
                r.easiest_accuracy * 100.0,
                crate::text::gap_points(r.gap.estimate, r.gap.low, r.gap.high, r.gap.level)
            ),
            theme.muted,
        ));
    }
    if !findings.baseline.is_empty() {
        lines.push(Line::styled(
            "errors in the K hardest: direction / confidence",
            theme.muted,
        ));
        for b in &findings.baseline {
            lines.push(Line::from(format!(
                "K={:<4}{:>4.0}% / {}",
                b.k,
                b.svm_error_rate * 100.0,
                b.confidence_error_rate
                    .map_or("-".to_string(), |v| format!("{:.0}%", v * 100.0))
            )));
        }
    }
    for caveat in &findings.caveats {
        lines.push(Line::styled(
            format!("! {}", shown(&caveat.text)),
            theme.warning,
        ));
    }
    if let Some(entry) = app.triage.get(&class_findings.name) {
        let mark = entry.mark.map_or("no mark", |m| m.label());
        let note = if entry.note.is_empty() {
            String::new()
        } else {
            format!(": {}", shown(&entry.note))
        };
        lines.push(Line::styled(format!("triage: {mark}{note}"), theme.accent));
    }
    paint(frame, inner, app, lines)
}
