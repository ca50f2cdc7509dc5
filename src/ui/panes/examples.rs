//! The selected class's test rows, ranked; every score shown, not just the order.

use super::block;
use crate::ui::app::{App, Pane};
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// Returns the list's scroll offset.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let focused = app.focus == Pane::Examples;
    let title = format!("Examples · {}", app.order.label());
    if let Some(reason) = app.unavailable_reason() {
        let text = Paragraph::new(reason)
            .style(theme.muted)
            .wrap(Wrap { trim: true });
        frame.render_widget(text.block(block(title, focused, theme)), area);
        return app.examples.offset;
    }
    let examples = app.example_rows();
    let dataset = &app.dataset;
    let window = super::visible_window(
        app.examples.offset,
        examples.len(),
        app.examples.cursor,
        area,
    );
    let first = window.start;
    let rows: Vec<Row> = examples[window]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let rank = first + i;
            let correct = dataset.correct[r.row] == Some(true);
            let verdict = if correct {
                Span::styled("✓ ok", theme.easy)
            } else {
                Span::styled("✗ err", theme.hard)
            };
            let prediction = dataset
                .predictions
                .as_ref()
                .and_then(|p| p[r.row])
                .map_or("-".to_string(), |p| {
                    super::shown(&dataset.class_names[p as usize])
                });
            let confidence = dataset
                .confidence
                .as_ref()
                .map_or("-".to_string(), |c| format!("{:.2}", c[r.row]));
            Row::new(vec![
                Cell::from(format!("{}", rank + 1)),
                Cell::from(super::shown(&dataset.ids.get(r.row).to_string())),
                Cell::from(super::score(r.decision_value)),
                Cell::from(verdict),
                Cell::from(prediction),
                Cell::from(confidence),
            ])
        })
        .collect();
    let header = Row::new(vec!["#", "id", "svm", "model", "predicted", "conf"]).style(theme.muted);
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Min(5),
            Constraint::Length(7),
            Constraint::Length(5),
            Constraint::Min(5),
            Constraint::Length(4),
        ],
    )
    .header(header)
    .column_spacing(1)
    .row_highlight_style(theme.selection)
    .block(block(title, focused, theme));
    let mut state = TableState::default()
        .with_selected((!examples.is_empty()).then_some(app.examples.cursor - first));
    frame.render_stateful_widget(table, area, &mut state);
    first
}
