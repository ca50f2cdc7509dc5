//! Ranked captions: the top hard ones (where the model fails) and the top easy ones.

use super::block;
use crate::ui::app::{App, Pane};
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// How many captions at each end are called hard and easy.
const TOP: usize = 5;

/// Returns the list's scroll offset.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let focused = app.focus == Pane::Captions;
    let findings = app.findings();
    let Some(scores) = findings.as_ref().and_then(|f| f.captions.as_ref()) else {
        let text = if app.bank.is_none() {
            "no caption bank: run with --captions FILE to name the failure modes"
        } else if app.model.is_none() {
            "waiting for the fit…"
        } else {
            "no captions for this class (or it has no failure direction)"
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.muted)
                .wrap(Wrap { trim: true })
                .block(block("Captions", focused, theme)),
            area,
        );
        return app.captions.offset;
    };
    let n = scores.ranked.len();
    let cursor = app.captions.cursor.min(n.saturating_sub(1));
    let window = super::visible_window(app.captions.offset, n, cursor, area);
    let first = window.start;
    let rows: Vec<Row> = scores.ranked[window]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let k = first + i;
            // The ends of the ranking are the findings; the middle is context.
            let (tag, style) = if k < TOP {
                ("hard", theme.hard)
            } else if k + TOP >= n {
                ("easy", theme.easy)
            } else {
                ("", theme.muted)
            };
            Row::new(vec![
                Cell::from(Span::styled(tag, style)),
                Cell::from(super::score(c.score)),
                Cell::from(super::shown(&c.text)),
            ])
        })
        .collect();
    let title = format!(
        "Captions · {} ranked, hardest first · ref: {}",
        n,
        super::shown(&scores.reference.text)
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["", "score", "caption"]).style(theme.muted))
    .column_spacing(1)
    .row_highlight_style(theme.selection)
    .block(block(title, focused, theme));
    let mut state = TableState::default().with_selected(Some(cursor - first));
    frame.render_stateful_widget(table, area, &mut state);
    first
}
