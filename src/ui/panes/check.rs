//! The check: accuracy near the hard caption vs near the easy caption vs the class, and the
//! SVM-vs-confidence error rates at K = 10/25/50/100. Bars carry numbers, not just colour.

use super::block;
use crate::ui::app::App;
use crate::ui::theme::Theme;
use crate::ui::typed_caption::{TypedCaption, TypedResult};
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Wrap};
use ratatui::Frame;

fn bar<'a>(label: &'a str, value: f64, colour: ratatui::style::Color) -> Bar<'a> {
    Bar::default()
        .label(label)
        .value((value * 100.0).round() as u64)
        .text_value(format!("{:.0}%", value * 100.0))
        .style(Style::default().fg(colour))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let outer = block("Check", false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let Some(findings) = app.findings() else {
        frame.render_widget(
            Paragraph::new("waiting for the fit…").style(theme.muted),
            inner,
        );
        return;
    };
    let typed = app
        .typed
        .clone()
        .filter(|t| Some(t.class) == app.selected_class());
    let typed_near = match &typed {
        Some(TypedCaption {
            result: TypedResult::Scored { near: Some(n), .. },
            ..
        }) => Some(n.accuracy),
        _ => None,
    };
    let across = match &typed {
        Some(TypedCaption {
            result: TypedResult::Scored {
                across: Some(a), ..
            },
            ..
        }) => Some(a.clone()),
        _ => None,
    };
    let typed_lines = u16::from(typed.is_some()) + u16::from(across.is_some());
    let top_height = 4 + u16::from(typed_near.is_some()) + typed_lines;
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(inner);
    let [top, typed_line, across_line] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(u16::from(typed.is_some())),
        Constraint::Length(u16::from(across.is_some())),
    ])
    .areas(top);
    match &findings.check {
        Some(check) => {
            let mut bars = vec![
                bar("near hard", check.near_hard.accuracy, theme.bar_hard),
                bar("near easy", check.near_easy.accuracy, theme.bar_easy),
                bar("class", check.class_accuracy, theme.bar_class),
            ];
            if let Some(accuracy) = typed_near {
                bars.push(bar(
                    "near yours",
                    accuracy,
                    theme.accent.fg.unwrap_or_default(),
                ));
            }
            let chart = BarChart::default()
                .direction(Direction::Horizontal)
                .data(BarGroup::default().bars(&bars))
                .bar_width(1)
                .bar_gap(0)
                .max(100);
            let [label, chart_area] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(top);
            frame.render_widget(
                Paragraph::new(format!(
                    "model accuracy, {} nearest test images",
                    check.near_hard.k
                ))
                .style(theme.muted),
                label,
            );
            frame.render_widget(chart, chart_area);
        }
        None => frame.render_widget(
            Paragraph::new("no check without captions")
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            top,
        ),
    }
    if let Some(typed) = &typed {
        let outcome = match &typed.result {
            TypedResult::Pending => "embedding…".to_string(),
            TypedResult::Scored { score, .. } => format!("score {}", super::score(*score)),
            TypedResult::Failed(e) => super::shown(e),
        };
        frame.render_widget(
            Paragraph::new(format!(
                "yours: {outcome} · \"{}\"",
                super::shown(&typed.text)
            ))
            .style(theme.accent),
            typed_line,
        );
    }
    if let Some(across) = &across {
        // Where else the caption's images are: a failure mode may cut across classes.
        let text = match across {
            Ok(across) => {
                let classes: Vec<String> = across
                    .classes
                    .iter()
                    .take(3)
                    .map(|(c, n)| {
                        format!(
                            "{} {n}",
                            super::shown(&app.dataset.class_names[*c as usize])
                        )
                    })
                    .collect();
                format!(
                    "all classes: {} nearest {:.0}% right · {}",
                    across.k,
                    across.accuracy * 100.0,
                    classes.join(" · ")
                )
            }
            Err(why) => format!("all classes: {why}"),
        };
        frame.render_widget(Paragraph::new(text).style(theme.accent), across_line);
    }
    if findings.baseline.is_empty() {
        return;
    }
    let [label, chart_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(bottom);
    frame.render_widget(
        Paragraph::new("error rate in the K hardest: svm / least confident").style(theme.muted),
        label,
    );
    let text: Vec<String> = findings
        .baseline
        .iter()
        .map(|b| {
            format!(
                "K={:<3} svm {:>3.0}%  conf {}",
                b.k,
                b.svm_error_rate * 100.0,
                b.confidence_error_rate
                    .map_or("  -".to_string(), |v| format!("{:>3.0}%", v * 100.0))
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(text.join("\n")), chart_area);
}
