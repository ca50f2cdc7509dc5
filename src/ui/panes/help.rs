//! The `?` overlay (generated from the keymap) and the prompts.

use crate::ui::action::Action;
use crate::ui::app::{App, ExportKind, Mode};
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

const HELP_ACTIONS: [Action; 19] = [
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::NextPane,
    Action::PreviousPane,
    Action::Search,
    Action::CycleSort,
    Action::CycleOrder,
    Action::ToggleGrid,
    Action::Export,
    Action::CycleTriage,
    Action::TriageNote,
    Action::TypeCaption,
    Action::Back,
    Action::ToggleHelp,
    Action::Quit,
];

fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap) {
    let mut lines = vec![
        Line::from("faultline ranks each class's test images along its failure direction."),
        Line::from("✓ fitted  ~ no coherent failure mode  – skipped  … fitting"),
        Line::from("triage marks: ! confirmed  = not a problem  + needs data"),
        Line::from(""),
    ];
    for action in HELP_ACTIONS {
        let keys = keymap.keys_for(action).join(" ");
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:>18}  "), theme.accent),
            Span::raw(action.describe()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "press ? or esc to close",
        theme.muted,
    )));
    let popup = centred(area, 64, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).style(theme.base).block(
            Block::bordered()
                .title(" Help ")
                .border_style(theme.border_focused),
        ),
        popup,
    );
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
                    "1-3 choose · esc cancel",
                    theme.muted,
                ))])
                .collect(),
        ),
        Mode::ExportPath(kind) => (
            " Export to ",
            vec![
                Line::from(kind.label()),
                Line::from(vec![
                    Span::styled("path: ", theme.muted),
                    Span::raw(format!("{}▏", app.input)),
                ]),
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
                Line::from(format!("{}▏", app.input)),
                Line::from(Span::styled("enter save · esc cancel", theme.muted)),
            ],
        ),
        Mode::Caption => (
            " Score a caption ",
            vec![
                Line::from(format!(
                    "a caption for '{}' (e.g. \"a photo of a {} in the snow\"):",
                    super::shown(app.selected_name()),
                    super::shown(app.selected_name())
                )),
                Line::from(format!("{}▏", app.input)),
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
