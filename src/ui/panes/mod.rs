//! Drawing: one module per pane, each `draw(frame, area, ...)` from the app's state.

mod captions;
mod check;
mod classes;
mod examples;
mod help;
mod hints;
mod preview;

use super::app::{App, Drawn, Mode, Pane};
use super::images::Images;
use super::keymap::Keymap;
use super::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType};
use ratatui::Frame;
use std::ops::Range;

/// The slice of a list of `len` rows that a bordered table with a header, `area` high, shows
/// with `cursor` on screen. Keeps the previous `offset` while the cursor stays visible, the way
/// ratatui's `TableState` scrolls, but only the shown rows are ever built: a class with 500,000
/// test rows draws as fast as one with ten.
pub(crate) fn visible_window(offset: usize, len: usize, cursor: usize, area: Rect) -> Range<usize> {
    let height = (area.height.saturating_sub(3) as usize).max(1);
    let cursor = cursor.min(len.saturating_sub(1));
    let mut offset = offset;
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    offset = offset.min(len.saturating_sub(height));
    offset..(offset + height).min(len)
}

/// Text from the data (names, captions, ids, paths, messages quoting them) as drawn: control
/// and bidi characters as visible escapes. ratatui drops control characters but would pass a
/// bidi override through to the terminal.
pub(crate) fn shown(text: &str) -> String {
    crate::text::visible(text).into_owned()
}

/// A decision value or caption score of the selected class, as the report shows it (in units
/// of the class's decision spread).
pub fn score(mode: Option<&crate::analysis::findings::ModeFindings>, raw: f64) -> String {
    crate::report::score_text(mode.and_then(|m| m.sigma(raw)), raw)
}

/// A caption with the words it shares with the start of the class's reference caption elided
/// ("a photo of a grey dog in the snow" against "a photo of a dog": "…grey dog in the snow"), so
/// the words that name the failure come first in a narrow column. The reference's last word
/// (the class) is never elided.
pub(crate) fn distinctive(caption: &str, reference: &str) -> String {
    let words: Vec<&str> = caption.split_whitespace().collect();
    let reference: Vec<&str> = reference.split_whitespace().collect();
    let common = words
        .iter()
        .zip(&reference)
        .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
        .count()
        .min(reference.len().saturating_sub(1));
    if common < 2 || common >= words.len() {
        return shown(caption);
    }
    format!("…{}", shown(&words[common..].join(" ")))
}

/// A caption template as the explorer shows it: the usual "a photo of a " dropped and the class
/// as "*" ("white * on the grass", "a blurry photo of a *").
pub(crate) fn short_template(template: &str) -> String {
    shown(
        &template
            .strip_prefix("a photo of a ")
            .unwrap_or(template)
            .replace("{class}", "*"),
    )
}

/// The first of `candidates` that fits in `width` columns (the last one, cut, otherwise):
/// titles shorten to what fits instead of ending mid-word.
pub(crate) fn fitting_title(candidates: &[String], width: u16) -> String {
    let room = usize::from(width.saturating_sub(4));
    candidates
        .iter()
        .find(|c| c.chars().count() <= room)
        .cloned()
        .unwrap_or_else(|| {
            candidates
                .last()
                .map(|c| c.chars().take(room).collect())
                .unwrap_or_default()
        })
}

/// `text` in lines of at most `width` characters, broken between words (a longer word is cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let cut: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(cut);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A pane's frame: focused panes get the accent border and a marker in the title, so focus
/// reads without colour.
pub(crate) fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let title: Line = title.into();
    let marker = if focused { "▶ " } else { "" };
    let mut spans = vec![ratatui::text::Span::raw(marker)];
    spans.extend(title.spans);
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Line::from(spans))
}

pub struct Layout5 {
    pub classes: Rect,
    pub examples: Rect,
    pub preview: Rect,
    pub captions: Rect,
    pub check: Rect,
    pub hints: Rect,
}

/// The screen split: classes | examples | preview on top, captions | check below, hints last.
pub fn layout(area: Rect) -> Layout5 {
    let [main, hints] = Layout::vertical([Constraint::Min(6), Constraint::Length(1)]).areas(area);
    let bottom_height = if main.height >= 30 {
        main.height * 2 / 5
    } else {
        main.height * 3 / 8
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(bottom_height.max(5))])
            .areas(main);
    let classes_width = (top.width * 3 / 10).clamp(24, 44);
    let preview_width = if top.width >= 100 { top.width / 4 } else { 18 };
    let [classes, examples, preview] = Layout::horizontal([
        Constraint::Length(classes_width),
        Constraint::Min(20),
        Constraint::Length(preview_width),
    ])
    .areas(top);
    let [captions, check] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(bottom);
    Layout5 {
        classes,
        examples,
        preview,
        captions,
        check,
        hints,
    }
}

/// Draws the whole screen from `app` without changing it; returns where the lists are scrolled
/// and the focused list's page height, for the next update. `images` is the preview cache
/// (drawing asks it for previews it has not decoded yet).
pub fn draw(
    frame: &mut Frame,
    app: &App,
    images: &mut Images,
    theme: &Theme,
    keymap: &Keymap,
) -> Drawn {
    let area = frame.area();
    frame.buffer_mut().set_style(area, theme.base);
    let parts = layout(area);
    let mut drawn = Drawn {
        class_offset: classes::draw(frame, parts.classes, app, theme),
        example_offset: app.examples.offset,
        caption_offset: app.captions.offset,
        check_lines: 0,
        grid_cells: (0, 0),
        screen: area,
        row_tops: [
            parts.classes.y + 2,
            parts.examples.y + 2,
            parts.captions.y + 1,
        ],
        page: app.page,
    };
    if app.grid {
        let grid_area = Rect {
            width: parts.examples.width + parts.preview.width,
            ..parts.examples
        };
        drawn.grid_cells = preview::draw_grid(frame, grid_area, app, images, theme);
    } else {
        let (offset, top) = examples::draw(frame, parts.examples, app, theme);
        drawn.example_offset = offset;
        drawn.row_tops[1] = top;
        preview::draw(frame, parts.preview, app, images, theme);
    }
    let (offset, top) = captions::draw(frame, parts.captions, app, theme);
    drawn.caption_offset = offset;
    drawn.row_tops[2] = top;
    drawn.check_lines = check::draw(frame, parts.check, app, theme);
    hints::draw(frame, parts.hints, app, theme, keymap);
    match app.mode {
        Mode::Help => help::draw(frame, area, app, theme, keymap),
        Mode::ExportMenu | Mode::ExportPath(_) | Mode::Note | Mode::Caption => {
            help::draw_prompt(frame, area, app, theme)
        }
        _ => {}
    }
    let gone = images.end_frame();
    preview::clear_pixels(frame, &gone);
    // Keep the page size in step with what the focused list can show.
    let list_height = match app.focus {
        Pane::Classes => parts.classes.height,
        Pane::Examples => parts.examples.height,
        Pane::Captions => parts.captions.height,
        Pane::Check => parts.check.height,
    };
    drawn.page = list_height.saturating_sub(3).max(1) as usize;
    drawn
}
