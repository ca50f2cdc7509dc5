//! The key-hint bar: what the keys do here and now.

use crate::ui::app::{App, ExportKind, FitState, Mode};
use crate::ui::commands::{self, Hint};
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// (priority, (keys, label)) for the current mode and focus, from the command table, in
/// table order.
fn prioritised(app: &App, keymap: &Keymap) -> Vec<(u8, (String, String))> {
    let mut shown = Vec::new();
    if app.mode == Mode::ExportMenu {
        let keys = format!("1-{}", ExportKind::ALL.len());
        shown.push((10, (keys, "choose".to_string())));
    } else if app.is_typing() {
        let what = if app.mode == Mode::Search {
            "filter classes"
        } else {
            "text"
        };
        shown.push((9, ("type".to_string(), what.to_string())));
    }
    let first = |a| keymap.keys_for(a).first().cloned().unwrap_or_default();
    for command in commands::for_mode(&app.mode) {
        let priority = match command.hint {
            Hint::Always(p) => p,
            Hint::In(pane, p) if pane == app.focus => p,
            Hint::Modes(p) if app.mode_count() > 1 => p,
            Hint::None | Hint::In(..) | Hint::Modes(_) => continue,
        };
        let keys = match command.pair {
            Some(pair) => format!("{}/{}", first(command.action), first(pair)),
            None => first(command.action),
        };
        shown.push((priority, (keys, command.label.to_string())));
    }
    shown
}

/// The hints that fit in `width`, dropping the least important first (the last of equals).
fn fitting(app: &App, keymap: &Keymap, width: usize) -> Vec<(String, String)> {
    let mut hints = prioritised(app, keymap);
    loop {
        let used: usize = hints
            .iter()
            .map(|(_, (k, t))| k.chars().count() + t.chars().count() + 3)
            .sum();
        if used <= width || hints.is_empty() {
            return hints.into_iter().map(|(_, h)| h).collect();
        }
        let weakest = hints
            .iter()
            .enumerate()
            .min_by_key(|(i, (p, _))| (*p, usize::MAX - i))
            .map(|(i, _)| i)
            .expect("not empty");
        hints.remove(weakest);
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
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    for (keys, text) in fitting(app, keymap, usize::from(area.width).saturating_sub(used)) {
        spans.push(Span::styled(keys, theme.accent));
        spans.push(Span::styled(format!(" {text}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
