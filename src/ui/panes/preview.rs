//! The selected example's image with its scores, and the grid of the K hardest and K easiest
//! thumbnails (the paper's figures).

use super::block;
use crate::ui::app::App;
use crate::ui::images::{ImageState, Images};
use crate::ui::theme::Theme;
use ratatui::buffer::CellDiffOption;
use ratatui::layout::{Constraint, Layout, Rect, Size};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use ratatui_image::Image;

fn draw_image(
    frame: &mut Frame,
    area: Rect,
    row: usize,
    app: &App,
    images: &mut Images,
    theme: &Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let showed = images.showed(area);
    let message = match app.dataset.image(row) {
        None => Some("no image for this row".to_string()),
        Some(path) if !images.enabled() => Some(format!(
            "previews off: {}",
            path.file_name()
                .map_or_else(String::new, |n| super::shown(&n.to_string_lossy()))
        )),
        Some(path) => match images.get(row, path, Size::new(area.width, area.height)) {
            Some(ImageState::Ready(protocol)) => {
                frame.render_widget(Image::new(protocol), area);
                images.drew(area);
                None
            }
            // The terminal still shows the last picture here: leave it until the next one
            // covers it, rather than flash a message (and clear the pixels) on every move.
            Some(ImageState::Loading) if showed => {
                keep_pixels(frame, area);
                images.drew(area);
                None
            }
            Some(ImageState::Loading) => Some("loading…".to_string()),
            Some(ImageState::Failed(e)) => Some(super::shown(e)),
            None => Some("previews off".to_string()),
        },
    };
    if let Some(text) = message {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            area,
        );
    }
}

/// Leaves `area`'s cells as the terminal has them (a picture drawn over them).
fn keep_pixels(frame: &mut Frame, area: Rect) {
    let buffer = frame.buffer_mut();
    for position in area.positions() {
        if let Some(cell) = buffer.cell_mut(position) {
            cell.set_diff_option(CellDiffOption::Skip);
        }
    }
}

/// Has the terminal write `areas` again, so pictures that are gone from them are cleared;
/// cells a new picture covers keep its own settings.
pub fn clear_pixels(frame: &mut Frame, areas: &[Rect]) {
    let buffer = frame.buffer_mut();
    for area in areas {
        for position in area.intersection(buffer.area).positions() {
            if let Some(cell) = buffer.cell_mut(position) {
                if cell.diff_option == CellDiffOption::None {
                    cell.set_diff_option(CellDiffOption::AlwaysUpdate);
                }
            }
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, images: &mut Images, theme: &Theme) {
    let title = format!("Preview · {}", images.protocol_name());
    let outer = block(title, false, theme);
    let mut inner = outer.inner(area);
    frame.render_widget(outer, area);
    // The advice can quote the terminal's own answer (its name and version): escaped.
    if let Some(advice_text) = images.advice().map(super::shown) {
        let advice = Paragraph::new(advice_text.clone())
            .style(theme.hard)
            .wrap(Wrap { trim: true });
        let height = (super::wrap(&advice_text, usize::from(inner.width)).len() as u16)
            .min(inner.height / 2);
        let [top, rest] =
            Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(inner);
        frame.render_widget(advice, top);
        inner = rest;
    }
    let Some(example) = app.selected_example() else {
        return;
    };
    let dataset = app.dataset.clone();
    let correct = dataset.correct[example.row] == Some(true);
    let mut lines = vec![Line::from(vec![
        Span::raw(format!(
            "id {}  ",
            super::shown(&dataset.ids.get(example.row).to_string())
        )),
        if correct {
            Span::styled("✓ right", theme.easy)
        } else {
            Span::styled("✗ wrong", theme.hard)
        },
    ])];
    lines.push(Line::from(format!(
        "score {}",
        crate::report::score_text(app.sigma(example.decision_value), example.decision_value)
    )));
    if let Some(c) = &dataset.confidence {
        lines.push(Line::from(format!("confidence {:.2}", c[example.row])));
    }
    let meta_height = (lines.len() as u16).min(inner.height);
    let [image_area, meta_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(meta_height)]).areas(inner);
    draw_image(frame, image_area, example.row, app, images, theme);
    frame.render_widget(Paragraph::new(lines), meta_area);
}

/// K hardest on the left, K easiest on the right, as many as fit; the selected thumbnail's
/// caption is highlighted and named in the title. Returns how many of each side it shows.
pub fn draw_grid(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    images: &mut Images,
    theme: &Theme,
) -> (usize, usize) {
    let outer_inner = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(outer_inner);
    let cell = Size::new(12, 6);
    let capacity = |half: Rect| {
        ((half.width / cell.width).max(1) * (half.height / (cell.height + 1)).max(1)) as usize
    };
    let ranking = app.ranking();
    let findings = (!ranking.is_empty()).then_some(ranking);
    let hardest: Vec<_> = ranking.iter().take(64).copied().collect();
    let easiest: Vec<_> = ranking.iter().rev().take(64).copied().collect();
    let shown = [
        hardest.len().min(capacity(left)),
        easiest.len().min(capacity(right)),
    ];
    let selected = if app.grid_cursor < shown[0] {
        hardest.get(app.grid_cursor).map(|r| (*r, true))
    } else {
        easiest.get(app.grid_cursor - shown[0]).map(|r| (*r, false))
    };
    let title = match (selected, findings) {
        (Some((r, hard)), Some(_)) => format!(
            "Grid · {} · id {} {} · enter opens it",
            if hard { "hardest" } else { "easiest" },
            super::shown(&app.dataset.ids.get(r.row).to_string()),
            crate::report::score_text(app.sigma(r.decision_value), r.decision_value)
        ),
        _ => "Grid · hardest (left) vs easiest (right) test images".to_string(),
    };
    let outer = block(
        super::fitting_title(&[title, "Grid".into()], area.width),
        true,
        theme,
    );
    frame.render_widget(outer, area);
    let Some(_) = findings else {
        frame.render_widget(
            Paragraph::new("no ranking yet").style(theme.muted),
            outer_inner,
        );
        return (0, 0);
    };
    for (side, (half, rows)) in [(left, hardest), (right, easiest)].into_iter().enumerate() {
        let columns = (half.width / cell.width).max(1);
        for (k, r) in rows.iter().take(shown[side]).enumerate() {
            let x = half.x + (k as u16 % columns) * cell.width;
            let y = half.y + (k as u16 / columns) * (cell.height + 1);
            let image_area =
                Rect::new(x, y, cell.width.saturating_sub(1), cell.height).intersection(half);
            draw_image(frame, image_area, r.row, app, images, theme);
            let correct = app.dataset.correct[r.row] == Some(true);
            let index = if side == 0 { k } else { shown[0] + k };
            let is_selected = index == app.grid_cursor;
            let marker = if is_selected { "▶" } else { "" };
            let caption = Line::from(vec![
                Span::raw(marker),
                Span::styled(
                    if correct { "✓" } else { "✗" },
                    if correct { theme.easy } else { theme.hard },
                ),
                Span::raw(crate::report::score_text(
                    app.sigma(r.decision_value),
                    r.decision_value,
                )),
            ]);
            let caption_area =
                Rect::new(x, y + cell.height, cell.width.saturating_sub(1), 1).intersection(half);
            let style = if is_selected {
                theme.selection
            } else {
                theme.base
            };
            frame.render_widget(Paragraph::new(caption).style(style), caption_area);
        }
    }
    (shown[0], shown[1])
}
