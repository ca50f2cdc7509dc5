//! The selected class's test rows in the chosen order along the mode shown, with its caveats on
//! top when the ranking is not a finding; on the shared entry, the test rows of every class the
//! shared mode hurts, with their class. Columns have their natural widths and drop in a planned
//! order (least useful first) when the pane is narrow, instead of being cut.

use super::{block, fitting_title, shown};
use crate::ui::app::{App, Entry, Pane};
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Rank,
    Class,
    Id,
    Score,
    Verdict,
    Predicted,
    /// Comparison mode: the after model's outcome and prediction.
    After,
    AfterPredicted,
    Confidence,
}

/// In screen order; `DROP` says which go first when there is no room.
const COLUMNS: [Column; 9] = [
    Column::Rank,
    Column::Class,
    Column::Id,
    Column::Score,
    Column::Verdict,
    Column::Predicted,
    Column::After,
    Column::AfterPredicted,
    Column::Confidence,
];
const DROP: [Column; 4] = [
    Column::Rank,
    Column::Confidence,
    Column::Predicted,
    Column::AfterPredicted,
];

/// Returns the list's scroll offset and the screen row of its first row.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> (usize, u16) {
    let focused = app.focus == Pane::Examples;
    let findings = app.view();
    let shared = app.selected_entry() == Some(Entry::Shared);
    let verdict = match findings {
        Some(f) if !shared && !f.is_finding() => " · not a finding",
        _ => "",
    };
    let count = app.mode_count();
    let (which, short) = match (app.shared_view(), findings) {
        (Some(s), _) => (
            format!(
                " · shared {}/{count}: {}",
                s.position + 1,
                shown(s.name().unwrap_or("unnamed"))
            ),
            format!(
                "Shared {}/{count}: {}",
                s.position + 1,
                s.name().map_or("unnamed".into(), super::short_template)
            ),
        ),
        (None, Some(m)) if count > 1 => (
            format!(" · mode {}/{count}", m.position + 1),
            format!("Mode {}/{count}", m.position + 1),
        ),
        _ => (String::new(), "Examples".to_string()),
    };
    let title = fitting_title(
        &[
            format!("Examples{which} · {}{verdict}", app.order.label()),
            format!("Examples{which} · {}{verdict}", app.order.short_label()),
            format!("Examples{which}{verdict}"),
            format!("{short}{verdict}"),
            short.clone(),
            short.split(':').next().unwrap_or_default().to_string(),
        ],
        area.width,
    );
    if let Some(reason) = app.unavailable_reason() {
        let text = Paragraph::new(reason)
            .style(theme.muted)
            .wrap(Wrap { trim: true });
        frame.render_widget(text.block(block(title, focused, theme)), area);
        return (app.examples.offset, area.y + 2);
    }
    let outer = block(title, focused, theme);
    let mut inner = outer.inner(area);
    frame.render_widget(outer, area);
    // Why this is not a finding, where the user looks (one line each, at most half the pane).
    if let Some(f) = findings.filter(|f| !shared && !f.is_finding()) {
        let lines: Vec<Line> = f
            .caveats
            .iter()
            .map(|c| Line::styled(format!("! {}", shown(&c.short)), theme.warning))
            .collect();
        let caveats = Paragraph::new(lines).wrap(Wrap { trim: true });
        let wanted: u16 = f
            .caveats
            .iter()
            .map(|c| super::wrap(&format!("! {}", c.short), usize::from(inner.width)).len() as u16)
            .sum();
        let height = wanted.min(inner.height / 2);
        let [top, rest] =
            Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(inner);
        frame.render_widget(caveats, top);
        inner = rest;
    }
    let examples = app.example_rows();
    let dataset = &app.dataset;
    // The table's own area is `inner`, without borders: as a bordered table's window.
    let framed = Rect {
        height: inner.height + 2,
        ..inner
    };
    let window = super::visible_window(
        app.examples.offset,
        examples.len(),
        app.examples.cursor,
        framed,
    );
    let first = window.start;
    let name =
        |p: Option<u32>| p.map_or("-".to_string(), |p| shown(&dataset.class_names[p as usize]));
    let rank_width = format!("{}", window.end).len() as u16;
    let id_width = examples[window.clone()]
        .iter()
        .map(|r| shown(&dataset.ids.get(r.row).to_string()).chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 24) as u16;
    let after = app.comparison.as_ref().map(|v| &v.after);
    let predicted_width_of = |d: &crate::data::Dataset, header: &str| {
        examples[window.clone()]
            .iter()
            .map(|r| {
                name(d.predictions.as_ref().and_then(|p| p[r.row]))
                    .chars()
                    .count()
            })
            .max()
            .unwrap_or(1)
            .clamp(header.len(), 20) as u16
    };
    let predicted_width = predicted_width_of(dataset, "predicted");
    let after_predicted_width = after.map_or(0, |a| predicted_width_of(a, "after pred"));
    let class_width = examples[window.clone()]
        .iter()
        .map(|r| name(dataset.labels[r.row]).chars().count())
        .max()
        .unwrap_or(1)
        .clamp("class".len(), 16) as u16;
    let width_of = |c: Column| match c {
        Column::Rank => rank_width.max(1),
        Column::Class => class_width,
        Column::Id => id_width,
        Column::Score => 7,
        Column::Verdict if after.is_some() => 6,
        Column::Verdict => 5,
        Column::Predicted => predicted_width,
        Column::After => 5,
        Column::AfterPredicted => after_predicted_width,
        Column::Confidence => 4,
    };
    let mut shown_columns: Vec<Column> = COLUMNS.to_vec();
    if !shared {
        shown_columns.retain(|c| *c != Column::Class);
    }
    if dataset.predictions.is_none() {
        shown_columns.retain(|c| *c != Column::Predicted);
    }
    match after {
        None => shown_columns.retain(|c| !matches!(c, Column::After | Column::AfterPredicted)),
        Some(a) if a.predictions.is_none() => {
            shown_columns.retain(|c| *c != Column::AfterPredicted)
        }
        Some(_) => {}
    }
    if dataset.confidence.is_none() {
        shown_columns.retain(|c| *c != Column::Confidence);
    }
    let needed = |cols: &[Column]| -> u16 {
        cols.iter()
            .map(|c| width_of(*c) + 1)
            .sum::<u16>()
            .saturating_sub(1)
    };
    for drop in DROP {
        if needed(&shown_columns) <= inner.width {
            break;
        }
        shown_columns.retain(|c| *c != drop);
    }
    let header: Vec<&str> = shown_columns
        .iter()
        .map(|c| match c {
            Column::Rank => "#",
            Column::Class => "class",
            Column::Id => "id",
            Column::Score => "score",
            Column::Verdict if after.is_some() => "before",
            Column::Verdict => "model",
            Column::Predicted => "predicted",
            Column::After => "after",
            Column::AfterPredicted => "after pred",
            Column::Confidence => "conf",
        })
        .collect();
    let rows: Vec<Row> = examples[window]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let correct = dataset.correct[r.row] == Some(true);
            let outcome = |right: bool| {
                if right {
                    Span::styled("✓ ok", theme.easy)
                } else {
                    Span::styled("✗ err", theme.hard)
                }
            };
            let cells = shown_columns.iter().map(|c| match c {
                Column::Rank => Cell::from(format!("{}", first + i + 1)),
                Column::Class => Cell::from(name(dataset.labels[r.row])),
                Column::Id => Cell::from(shown(&dataset.ids.get(r.row).to_string())),
                Column::Score => Cell::from(crate::report::score_text(
                    app.sigma(r.decision_value),
                    r.decision_value,
                )),
                Column::Verdict => Cell::from(outcome(correct)),
                Column::Predicted => {
                    Cell::from(name(dataset.predictions.as_ref().and_then(|p| p[r.row])))
                }
                Column::After => Cell::from(
                    after.map_or(Span::raw(""), |a| outcome(a.correct[r.row] == Some(true))),
                ),
                Column::AfterPredicted => Cell::from(after.map_or(String::new(), |a| {
                    name(a.predictions.as_ref().and_then(|p| p[r.row]))
                })),
                Column::Confidence => Cell::from(
                    dataset
                        .confidence
                        .as_ref()
                        .map_or("-".to_string(), |c| format!("{:.2}", c[r.row])),
                ),
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let widths: Vec<Constraint> = shown_columns
        .iter()
        .map(|c| Constraint::Length(width_of(*c)))
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.muted))
        .column_spacing(1)
        .row_highlight_style(theme.selection);
    let mut state = TableState::default()
        .with_selected((!examples.is_empty()).then_some(app.examples.cursor.saturating_sub(first)));
    frame.render_stateful_widget(table, inner, &mut state);
    (first, inner.y + 1)
}
