//! The class list: accuracy, errors, SVM strength, status and triage marks.

use super::{block, fitting_title, visible_window};
use crate::analysis::findings::Status;
use crate::ui::app::{App, Mode, Pane};
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};
use ratatui::Frame;

/// Status as a symbol (colour is only a second channel).
pub(crate) fn status_symbol(status: Option<Status>) -> &'static str {
    match status {
        None => "…",
        Some(Status::Fitted) => "✓",
        Some(Status::NoCoherentFailureMode) => "~",
        Some(Status::Skipped) => "–",
    }
}

/// Returns the list's scroll offset.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let title = if app.mode == Mode::Search || !app.search.is_empty() {
        let (before, after) = app.search.split();
        let cursor = if app.mode == Mode::Search { "▏" } else { "" };
        Line::from(vec![
            Span::raw(format!("Classes {}/{} ", app.visible.len(), app.rows.len())),
            Span::styled(
                format!("/{}{cursor}{}", super::shown(before), super::shown(after)),
                theme.accent,
            ),
        ])
    } else {
        Line::from(fitting_title(
            &[
                format!("Classes · by {}", app.sort.label()),
                "Classes".to_string(),
            ],
            area.width,
        ))
    };
    // Errors and SVM strength need room; narrow screens keep name and accuracy.
    let wide = area.width >= 34;
    let window = visible_window(
        app.classes.offset,
        app.visible.len(),
        app.classes.cursor,
        area,
    );
    let first = window.start;
    let rows: Vec<Row> = app.visible[window]
        .iter()
        .map(|&c| {
            let r = &app.rows[c as usize];
            let mark = app
                .triage
                .get(&r.name)
                .and_then(|e| e.mark)
                .map_or(" ", |m| m.symbol());
            // A fitted class whose ranking the model's own confidence beats is marked "?".
            let weak = app
                .class_findings(c)
                .is_some_and(|f| f.status == Status::Fitted && !f.is_finding());
            let failed = matches!(app.fit, crate::ui::app::FitState::Failed(_));
            let symbol = if failed {
                "×"
            } else if weak {
                "?"
            } else {
                status_symbol(r.status)
            };
            let status_style = match r.status {
                _ if weak || failed => theme.warning,
                Some(Status::Fitted) => theme.accent,
                Some(Status::NoCoherentFailureMode) | Some(Status::Skipped) => theme.muted,
                None => theme.warning,
            };
            let mut cells = vec![
                Cell::from(Line::from(vec![
                    Span::styled(symbol, status_style),
                    Span::raw(mark),
                ])),
                Cell::from(super::shown(&r.name)),
                Cell::from(
                    r.test_accuracy
                        .map_or("-".into(), |a| format!("{:.0}%", a * 100.0)),
                ),
            ];
            if wide {
                cells.push(Cell::from(format!("{}", r.test_errors)));
                cells.push(Cell::from(
                    r.strength.map_or("-".into(), |s| format!("{s:.2}")),
                ));
            }
            Row::new(cells)
        })
        .collect();
    let (header, widths) = if wide {
        (
            vec!["", "class", "test", "err", "cv"],
            vec![
                Constraint::Length(2),
                Constraint::Min(6),
                Constraint::Length(4),
                Constraint::Length(5),
                Constraint::Length(4),
            ],
        )
    } else {
        (
            vec!["", "class", "test"],
            vec![
                Constraint::Length(2),
                Constraint::Min(6),
                Constraint::Length(4),
            ],
        )
    };
    let header = Row::new(header).style(theme.muted);
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selection)
        .block(block(title, app.focus == Pane::Classes, theme));
    let mut state = TableState::default()
        .with_selected((!app.visible.is_empty()).then_some(app.classes.cursor - first));
    frame.render_stateful_widget(table, area, &mut state);
    first
}
