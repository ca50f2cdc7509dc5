//! The `?` overlay (generated from the keymap) and the prompts.

use crate::ui::app::{App, ExportKind, Mode};
use crate::ui::commands::{self, Command};
use crate::ui::input::Input;
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// The keys of `command` as the keymap has them: "j ↓ / k ↑" for a pair.
pub(crate) fn keys_of(command: &Command, keymap: &Keymap) -> String {
    let keys = keymap.keys_for(command.action).join(" ");
    match command.pair {
        Some(pair) => format!("{keys} / {}", keymap.keys_for(pair).join(" ")),
        None => keys,
    }
}

/// The help overlay, made from the command table and the keymap; it wraps to the screen and
/// scrolls (`app.help_offset`).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, keymap: &Keymap) {
    let width = area.width.saturating_sub(4).clamp(20, 96);
    let text_width = usize::from(width.saturating_sub(2)).max(10);
    let keys_width = commands::NORMAL
        .iter()
        .map(|c| keys_of(c, keymap).chars().count())
        .max()
        .unwrap_or(0)
        .min(text_width / 2);
    let mut lines: Vec<Line> = Vec::new();
    for paragraph in [
        "faultline ranks each class's test images along its failure direction: the SVM's normal, fitted on the val rows to tell the model's right answers from its wrong ones.",
        "A class can fail in several ways: mode 1 is the paper's direction, further modes split its errors where they differ; m steps through them (column m counts them). The ◆ entry on top holds failures several classes share (◆ beside a class: one explains its mode). q is the mode's p-value on held-out test rows, corrected for every test made; a mode is a finding below 0.05.",
        "Status: ✓ fitted · ? fitted, but the model's confidence finds its errors better · ~ no coherent failure mode · – skipped · … fitting · × the fit failed. Triage: ! confirmed · = not a problem · + needs data. Scores are in units of the class's spread of test-row scores (σ): negative is toward the errors.",
    ] {
        lines.extend(super::wrap(paragraph, text_width).into_iter().map(Line::from));
        lines.push(Line::from(""));
    }
    for command in commands::NORMAL {
        let keys = keys_of(command, keymap);
        let help_width = text_width.saturating_sub(keys_width + 2).max(8);
        for (i, text) in super::wrap(command.help, help_width)
            .into_iter()
            .enumerate()
        {
            let keys = if i == 0 { keys.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:>keys_width$}  "), theme.accent),
                Span::raw(text),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.extend(
        super::wrap(
            "In the search and the prompts: enter confirms, esc cancels, ctrl-u clears before the cursor, ctrl-w deletes a word, ←/→ move the cursor. ↑/↓ scroll this help; ? or esc closes it.",
            text_width,
        )
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.muted))),
    );
    let height = (lines.len() as u16 + 2).min(area.height);
    let visible = usize::from(height.saturating_sub(2));
    let offset = app.help_offset.min(lines.len().saturating_sub(visible));
    let title = if lines.len() > visible {
        format!(
            " Help · {}-{} of {} ",
            offset + 1,
            (offset + visible).min(lines.len()),
            lines.len()
        )
    } else {
        " Help ".to_string()
    };
    let popup = centred(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((offset as u16, 0))
            .style(theme.base)
            .block(
                Block::bordered()
                    .title(title)
                    .border_style(theme.border_focused),
            ),
        popup,
    );
}

/// The prompt's text with the cursor drawn where it is.
fn typed<'a>(input: &Input, theme: &Theme) -> Line<'a> {
    let (before, after) = input.split();
    Line::from(vec![
        Span::raw(super::shown(before)),
        Span::styled("▏", theme.accent),
        Span::raw(super::shown(after)),
    ])
}

pub fn draw_prompt(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (title, lines): (&str, Vec<Line>) = match &app.mode {
        Mode::ExportMenu => (
            " Export ",
            ExportKind::ALL
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    Line::from(vec![
                        Span::styled(format!("{} ", i + 1), theme.accent),
                        Span::raw(k.label()),
                    ])
                })
                .chain([Line::from(Span::styled(
                    format!("1-{} choose · esc cancel", ExportKind::ALL.len()),
                    theme.muted,
                ))])
                .collect(),
        ),
        Mode::ExportPath(kind) => (
            " Export to ",
            vec![
                Line::from(kind.label()),
                Line::from(
                    [
                        vec![Span::styled("path: ", theme.muted)],
                        typed(&app.input, theme).spans,
                    ]
                    .concat(),
                ),
                Line::from(Span::styled("enter write · esc cancel", theme.muted)),
            ],
        ),
        Mode::Note => (
            " Triage note ",
            vec![
                Line::from(format!(
                    "note for '{}':",
                    super::shown(
                        app.selected_class()
                            .map_or("", |c| app.dataset.class_names[c as usize].as_str())
                    )
                )),
                typed(&app.input, theme),
                Line::from(Span::styled(
                    "enter save · esc cancel · ctrl-u clear",
                    theme.muted,
                )),
            ],
        ),
        Mode::Caption => (
            " Score a caption ",
            vec![
                Line::from(format!(
                    "a caption for '{}' (e.g. \"a photo of a {} in the snow\"):",
                    super::shown(&app.selected_name()),
                    super::shown(&app.selected_name())
                )),
                typed(&app.input, theme),
                Line::from(Span::styled(
                    "enter score it against the failure direction · esc cancel",
                    theme.muted,
                )),
            ],
        ),
        _ => return,
    };
    let popup = centred(area, 70, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.base)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(title)
                    .border_style(theme.border_focused),
            ),
        popup,
    );
}
