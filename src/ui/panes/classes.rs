//! The class list: accuracy, errors, SVM strength, status and triage marks.

use super::{block, fitting_title, visible_window};
use crate::analysis::findings::Status;
use crate::ui::app::{App, Entry, Mode, Pane};
use crate::ui::comparison;
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
    } else if let Some(view) = &app.comparison {
        Line::from(fitting_title(
            &[
                format!("Classes · {} · by {}", view.label, app.sort.label()),
                format!("Classes · {}", view.label),
                format!("Classes · by {}", app.sort.label()),
                "Classes".to_string(),
            ],
            area.width,
        ))
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
        app.entries_len(),
        app.classes.cursor,
        area,
    );
    let first = window.start;
    let rows: Vec<Row> = window
        .filter_map(|i| app.entry(i))
        .map(|entry| {
            let c = match entry {
                Entry::Class(c) => c,
                Entry::Shared => return shared_row(app, wide, theme),
            };
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
            if let Some(view) = &app.comparison {
                // Comparison: the after model's accuracy and the class's verdict (narrow: the
                // verdict alone).
                let diff = view.class(c);
                if !wide {
                    cells.pop();
                }
                if wide {
                    cells.push(Cell::from(
                        diff.and_then(|d| d.accuracy)
                            .map_or("-".into(), |a| format!("{:.0}%", a.after * 100.0)),
                    ));
                }
                cells.push(Cell::from(diff.map_or(Span::raw("-"), |d| {
                    let v = d.summary();
                    Span::styled(comparison::short(v), comparison::style(v, theme))
                })));
                return Row::new(cells);
            }
            if wide {
                cells.push(Cell::from(format!("{}", r.test_errors)));
                cells.push(Cell::from(
                    r.strength.map_or("-".into(), |s| format!("{s:.2}")),
                ));
                // Several modes: how many; one explained by a shared mode: the shared marker.
                cells.push(Cell::from(if r.modes > 1 {
                    Span::styled(r.modes.to_string(), theme.accent)
                } else if r.shared {
                    Span::styled(SHARED_MARK, theme.accent)
                } else {
                    Span::raw("")
                }));
            }
            Row::new(cells)
        })
        .collect();
    let (header, widths) = if app.comparison.is_some() {
        if wide {
            (
                vec!["", "class", "bef", "aft", "verdict"],
                vec![
                    Constraint::Length(2),
                    Constraint::Min(6),
                    Constraint::Length(4),
                    Constraint::Length(4),
                    Constraint::Length(9),
                ],
            )
        } else {
            (
                vec!["", "class", "verdict"],
                vec![
                    Constraint::Length(2),
                    Constraint::Min(6),
                    Constraint::Length(9),
                ],
            )
        }
    } else if wide {
        (
            vec!["", "class", "test", "err", "cv", "m"],
            vec![
                Constraint::Length(2),
                Constraint::Min(6),
                Constraint::Length(4),
                Constraint::Length(5),
                Constraint::Length(4),
                Constraint::Length(1),
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
        .with_selected((app.entries_len() > 0).then_some(app.classes.cursor - first));
    frame.render_stateful_widget(table, area, &mut state);
    first
}

/// Marks the shared entry, and classes whose failure it explains.
pub(crate) const SHARED_MARK: &str = "◆";

/// The entry on top of the list: the failure modes several classes share.
fn shared_row(app: &App, wide: bool, theme: &Theme) -> Row<'static> {
    let shared = app
        .model
        .as_ref()
        .map_or(&[][..], |m| &m.assessment.shared[..]);
    if app.comparison.is_some() {
        // The count goes in the verdict column: a narrow class column cuts "shared (1)".
        let count = format!(
            "{} mode{}",
            shared.len(),
            if shared.len() == 1 { "" } else { "s" }
        );
        let mut cells = vec![
            Cell::from(Span::styled(SHARED_MARK, theme.accent)),
            Cell::from(Span::styled("shared", theme.accent)),
        ];
        if wide {
            cells.extend([Cell::from(""), Cell::from("")]);
        }
        cells.push(Cell::from(Span::styled(count, theme.muted)));
        return Row::new(cells);
    }
    // Narrow: the modes count here; what they are shows when the entry is selected.
    let name = format!("shared ({})", shared.len());
    let mut cells = vec![
        Cell::from(Span::styled(SHARED_MARK, theme.accent)),
        Cell::from(Span::styled(name, theme.accent)),
    ];
    let blanks = if wide { 4 } else { 1 };
    cells.extend((0..blanks).map(|_| Cell::from("")));
    Row::new(cells)
}
