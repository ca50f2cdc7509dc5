//! The class's captions: the hardest (most negative score: where the model fails) and the
//! easiest side by side, or one above the other when the pane is narrow, as the report lists
//! them. Words shared with the reference caption are elided so the ones that name the failure
//! show first. A caption is tagged hard or easy only on its side of the reference caption's own
//! score (harder or easier than "a photo of a {class}").

use super::{block, distinctive, fitting_title};
use crate::analysis::captions::ScoredCaption;
use crate::analysis::findings::{ModeFindings, SharedFindings, TemplateScore};
use crate::ui::app::{App, Pane};
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// Columns of a caption list at least this wide go side by side.
const SIDE_BY_SIDE: u16 = 64;

/// One list's rows; `tagged` adds a hard/easy column (when the lists are stacked).
fn rows<'a>(
    captions: impl Iterator<Item = &'a ScoredCaption>,
    findings: &ModeFindings,
    reference: &str,
    hard: bool,
    tagged: bool,
    theme: &Theme,
) -> Vec<Row<'static>> {
    // Harder or easier than the reference caption itself.
    let zero = findings
        .captions
        .as_ref()
        .map_or(0.0, |c| c.reference_score);
    captions
        .map(|c| {
            let style = match (hard, c.score - zero) {
                (true, s) if s < 0.0 && findings.is_finding() => theme.hard,
                (false, s) if s > 0.0 && findings.is_finding() => theme.easy,
                _ => theme.muted,
            };
            let mut cells = Vec::with_capacity(3);
            if tagged {
                cells.push(Cell::from(Span::styled(
                    if hard { "hard" } else { "easy" },
                    style,
                )));
            }
            cells.push(Cell::from(Span::styled(
                super::score(Some(findings), c.score),
                style,
            )));
            cells.push(Cell::from(distinctive(&c.text, reference)));
            Row::new(cells)
        })
        .collect()
}

/// The shared mode's captions: each template ("a blurry photo of a {class}") scored by its
/// mean over the classes the mode hurts, hardest and easiest side by side (stacked when narrow),
/// tagged hard or easy only on their side of the classes' reference captions.
fn draw_shared(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    shared: &SharedFindings,
    theme: &Theme,
) -> (usize, u16) {
    let focused = app.focus == Pane::Captions;
    let title = fitting_title(
        &[
            format!(
                "Captions · mean over the {} classes it hurts (* = the class)",
                shared.classes.len()
            ),
            "Captions · * = the class".to_string(),
        ],
        area.width,
    );
    let outer = block(title, focused, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if shared.hard_captions.is_empty() {
        frame.render_widget(
            Paragraph::new("no caption bank: run with --captions FILE to name it")
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            inner,
        );
        return (0, inner.y);
    }
    let side_by_side = inner.width >= SIDE_BY_SIDE;
    let [hard_area, easy_area] = if side_by_side {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner)
    } else {
        let top = inner.height.div_ceil(2);
        Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(inner)
    };
    let header_rows = u16::from(side_by_side);
    let n = shared.hard_captions.len().max(shared.easy_captions.len());
    let cursor = app.captions.cursor.min(n.saturating_sub(1));
    let height = usize::from(hard_area.height.saturating_sub(header_rows)).max(1);
    let mut offset = app.captions.offset.min(cursor);
    if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    let zero = shared.reference_sigma.unwrap_or(0.0);
    let list = |templates: &[TemplateScore], hard: bool| {
        let rows: Vec<Row> = templates
            .iter()
            .skip(offset)
            .take(height)
            .map(|t| {
                let style = match (hard, t.sigma - zero) {
                    (true, s) if s < 0.0 => theme.hard,
                    (false, s) if s > 0.0 => theme.easy,
                    _ => theme.muted,
                };
                let mut cells = Vec::with_capacity(3);
                if !side_by_side {
                    cells.push(Cell::from(Span::styled(
                        if hard { "hard" } else { "easy" },
                        style,
                    )));
                }
                cells.push(Cell::from(Span::styled(format!("{:+.2}σ", t.sigma), style)));
                cells.push(Cell::from(super::short_template(&t.template)));
                Row::new(cells)
            })
            .collect();
        let widths = if side_by_side {
            vec![Constraint::Length(7), Constraint::Min(8)]
        } else {
            vec![
                Constraint::Length(4),
                Constraint::Length(7),
                Constraint::Min(8),
            ]
        };
        let table = Table::new(rows, widths)
            .column_spacing(1)
            .row_highlight_style(theme.selection);
        if side_by_side {
            let (label, style) = if hard {
                ("hardest", theme.hard)
            } else {
                ("easiest", theme.easy)
            };
            table.header(Row::new(vec![
                Cell::from(""),
                Cell::from(Span::styled(label, style)),
            ]))
        } else {
            table
        }
    };
    let mut state = TableState::default().with_selected(Some(cursor - offset));
    frame.render_stateful_widget(list(&shared.hard_captions, true), hard_area, &mut state);
    frame.render_widget(list(&shared.easy_captions, false), easy_area);
    (offset, hard_area.y + header_rows)
}

/// Returns the list's scroll offset and the screen row of its first row.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> (usize, u16) {
    if let Some(shared) = app.shared_view() {
        return draw_shared(frame, area, app, shared, theme);
    }
    let focused = app.focus == Pane::Captions;
    let findings = app.view();
    let Some((findings, scores)) = findings.and_then(|f| Some((f, f.captions.as_ref()?))) else {
        let text = if app.bank.is_none() {
            "no caption bank: run with --captions FILE to name the failure modes"
        } else if matches!(app.fit, crate::ui::app::FitState::Failed(_)) {
            "no fit, so no captions"
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
        return (app.captions.offset, area.y + 1);
    };
    let n = scores.ranked.len();
    let reference = super::shown(&scores.reference.text);
    let verdict = if findings.is_finding() {
        ""
    } else {
        " · not a finding"
    };
    let title = fitting_title(
        &[
            format!("Captions · {n} · ref: {reference}{verdict}"),
            format!("Captions · ref: {reference}{verdict}"),
            format!("Captions{verdict}"),
        ],
        area.width,
    );
    let outer = block(title, focused, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let side_by_side = inner.width >= SIDE_BY_SIDE;
    let [hard_area, easy_area] = if side_by_side {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner)
    } else {
        let top = inner.height.div_ceil(2);
        Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(inner)
    };
    // One cursor for both lists: the k-th hardest and the k-th easiest move together.
    let header_rows = u16::from(side_by_side);
    let visible = |a: Rect| usize::from(a.height.saturating_sub(header_rows)).max(1);
    let cursor = app.captions.cursor.min(n.saturating_sub(1));
    let height = visible(hard_area);
    let mut offset = app.captions.offset.min(cursor);
    if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    let hardest = scores.ranked.iter().skip(offset).take(height);
    let easiest = scores
        .ranked
        .iter()
        .rev()
        .skip(offset)
        .take(visible(easy_area));
    let widths = if side_by_side {
        vec![Constraint::Length(7), Constraint::Min(8)]
    } else {
        vec![
            Constraint::Length(4),
            Constraint::Length(7),
            Constraint::Min(8),
        ]
    };
    let column = |rows: Vec<Row<'static>>, label: &'static str, style: Style| {
        let table = Table::new(rows, widths.clone())
            .column_spacing(1)
            .row_highlight_style(theme.selection);
        if side_by_side {
            table.header(Row::new(vec![
                Cell::from(""),
                Cell::from(Span::styled(label, style)),
            ]))
        } else {
            table
        }
    };
    let tagged = !side_by_side;
    let hard_rows = rows(
        hardest,
        findings,
        &scores.reference.text,
        true,
        tagged,
        theme,
    );
    let easy_rows = rows(
        easiest,
        findings,
        &scores.reference.text,
        false,
        tagged,
        theme,
    );
    let mut state = TableState::default().with_selected(Some(cursor - offset));
    frame.render_stateful_widget(
        column(hard_rows, "hardest", theme.hard),
        hard_area,
        &mut state,
    );
    frame.render_widget(column(easy_rows, "easiest", theme.easy), easy_area);
    (offset, hard_area.y + header_rows)
}
