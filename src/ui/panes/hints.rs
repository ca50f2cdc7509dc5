//! The key-hint bar: what the keys do here and now.

use crate::ui::action::Action;
use crate::ui::app::{App, FitState, Mode, Pane};
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// (keys, description) pairs for the current context.
pub fn hints(app: &App, keymap: &Keymap) -> Vec<(String, String)> {
    let key = |a: Action| keymap.keys_for(a).first().cloned().unwrap_or_default();
    let pair = |a: Action, text: &str| (key(a), text.to_string());
    match app.mode {
        Mode::Search => vec![
            ("type".into(), "filter classes".into()),
            ("enter".into(), "keep".into()),
            ("esc".into(), "clear".into()),
        ],
        Mode::Help => vec![pair(Action::ToggleHelp, "close help")],
        Mode::ExportMenu => vec![
            ("1-3".into(), "choose".into()),
            ("esc".into(), "cancel".into()),
        ],
        Mode::ExportPath(_) | Mode::Note | Mode::Caption => vec![
            ("enter".into(), "confirm".into()),
            ("esc".into(), "cancel".into()),
        ],
        Mode::Normal => {
            let mut h = vec![
                (
                    format!("{}/{}", key(Action::Down), key(Action::Up)),
                    "move".to_string(),
                ),
                pair(Action::NextPane, "pane"),
            ];
            match app.focus {
                Pane::Classes => {
                    h.push(pair(Action::Search, "search"));
                    h.push(pair(Action::CycleSort, "sort"));
                }
                Pane::Examples => {
                    h.push(pair(Action::CycleOrder, "order"));
                    h.push(pair(Action::ToggleGrid, "grid"));
                }
                Pane::Captions => {}
            }
            h.push(pair(Action::CycleTriage, "triage"));
            h.push(pair(Action::Export, "export"));
            h.push(pair(Action::ToggleHelp, "help"));
            h.push(pair(Action::Quit, "quit"));
            h
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, keymap: &Keymap) {
    let mut spans = Vec::new();
    if let Some(status) = &app.status {
        spans.push(Span::styled(
            format!("{}  ", super::shown(status)),
            theme.warning,
        ));
    } else if let FitState::Running { done, total } = app.fit {
        spans.push(Span::styled(
            format!("fitting {done}/{total}  "),
            theme.warning,
        ));
    }
    for (keys, text) in hints(app, keymap) {
        spans.push(Span::styled(keys, theme.accent));
        spans.push(Span::styled(format!(" {text}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
