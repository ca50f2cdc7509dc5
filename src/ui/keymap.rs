//! Key bindings as data: defaults here, overridable from the config file
//! (`[keys]` table: `"ctrl-e" = "export"`).

use super::action::Action;
use super::app::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub fn from_event(event: KeyEvent) -> Self {
        // Shift is part of the character for letters and symbols; keep it only for named keys.
        let mut modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(event.code, KeyCode::Char(_)) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Key {
            code: event.code,
            modifiers,
        }
    }

    /// "j", "ctrl-c", "tab", "shift-tab", "pagedown", "?".
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.to_ascii_lowercase();
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = lower.as_str();
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                modifiers |= KeyModifiers::SHIFT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "tab" if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "enter" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            _ => {
                // Single characters keep their case from the original text ("G" vs "g").
                let original = &text[text.len() - rest.len()..];
                let mut chars = original.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(c)
            }
        };
        Some(Key { code, modifiers })
    }

    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push_str("ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("alt-");
        }
        match self.code {
            KeyCode::Char(' ') => out.push_str("space"),
            KeyCode::Char(c) => out.push(c),
            KeyCode::Tab => out.push_str("tab"),
            KeyCode::BackTab => out.push_str("shift-tab"),
            KeyCode::Enter => out.push_str("enter"),
            KeyCode::Esc => out.push_str("esc"),
            KeyCode::Up => out.push('↑'),
            KeyCode::Down => out.push('↓'),
            KeyCode::Left => out.push('←'),
            KeyCode::Right => out.push('→'),
            KeyCode::PageUp => out.push_str("pgup"),
            KeyCode::PageDown => out.push_str("pgdn"),
            KeyCode::Home => out.push_str("home"),
            KeyCode::End => out.push_str("end"),
            KeyCode::Backspace => out.push_str("backspace"),
            other => out.push_str(&format!("{other:?}").to_lowercase()),
        }
        out
    }
}

/// Normal-mode bindings (the config file can change them) and the text bindings of the search
/// and the prompts, where any other character types itself.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// In priority order for hints: a user's bindings first, then the defaults.
    bindings: Vec<(Key, Action)>,
    text: Vec<(Key, Action)>,
}

pub const TEXT_BINDINGS: &[(&str, Action)] = &[
    ("enter", Action::Confirm),
    ("esc", Action::Cancel),
    ("ctrl-c", Action::Cancel),
    ("backspace", Action::DeleteBack),
    ("ctrl-h", Action::DeleteBack),
    ("ctrl-w", Action::DeleteWord),
    ("alt-backspace", Action::DeleteWord),
    ("ctrl-u", Action::ClearInput),
    ("left", Action::CursorLeft),
    ("ctrl-b", Action::CursorLeft),
    ("right", Action::CursorRight),
    ("ctrl-f", Action::CursorRight),
    ("home", Action::CursorStart),
    ("ctrl-a", Action::CursorStart),
    ("end", Action::CursorEnd),
    ("ctrl-e", Action::CursorEnd),
];

pub const DEFAULT_BINDINGS: &[(&str, Action)] = &[
    ("q", Action::Quit),
    ("ctrl-c", Action::Quit),
    ("k", Action::Up),
    ("up", Action::Up),
    ("j", Action::Down),
    ("down", Action::Down),
    ("pageup", Action::PageUp),
    ("ctrl-u", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("ctrl-d", Action::PageDown),
    ("g", Action::Top),
    ("home", Action::Top),
    ("G", Action::Bottom),
    ("end", Action::Bottom),
    ("tab", Action::NextPane),
    ("l", Action::NextPane),
    ("right", Action::NextPane),
    ("shift-tab", Action::PreviousPane),
    ("h", Action::PreviousPane),
    ("left", Action::PreviousPane),
    ("/", Action::Search),
    ("s", Action::CycleSort),
    ("o", Action::CycleOrder),
    ("v", Action::ToggleGrid),
    ("m", Action::NextMode),
    ("?", Action::ToggleHelp),
    ("e", Action::Export),
    ("t", Action::CycleTriage),
    ("n", Action::TriageNote),
    ("c", Action::TypeCaption),
    ("esc", Action::Back),
    ("enter", Action::Open),
    ("y", Action::Copy),
];

impl Default for Keymap {
    fn default() -> Self {
        let parse = |list: &[(&str, Action)]| {
            list.iter()
                .map(|(k, a)| (Key::parse(k).expect("default keys parse"), *a))
                .collect()
        };
        Keymap {
            bindings: parse(DEFAULT_BINDINGS),
            text: parse(TEXT_BINDINGS),
        }
    }
}

impl Keymap {
    /// The normal-mode action of `event`.
    pub fn action(&self, event: KeyEvent) -> Option<Action> {
        let key = Key::from_event(event);
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// What `event` does in `mode`: in the search and the prompts, the text bindings, and any
    /// other character types itself; in the export menu, characters choose.
    pub fn action_in(&self, mode: &Mode, event: KeyEvent) -> Option<Action> {
        let typing = matches!(
            mode,
            Mode::Search | Mode::ExportPath(_) | Mode::Note | Mode::Caption | Mode::ExportMenu
        );
        if !typing {
            return self.action(event);
        }
        let key = Key::from_event(event);
        if let Some((_, action)) = self.text.iter().find(|(k, _)| *k == key) {
            return Some(*action);
        }
        match event.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(Action::Insert(c))
            }
            _ => None,
        }
    }

    /// Adds or replaces bindings; an unknown key name is an error naming it.
    pub fn bind(&mut self, key: &str, action: Action) -> Result<(), String> {
        if action.is_text() {
            return Err(format!("'{key}': text-editing actions cannot be bound"));
        }
        let parsed = Key::parse(key).ok_or_else(|| format!("unknown key '{key}'"))?;
        self.bindings.retain(|(k, _)| *k != parsed);
        self.bindings.insert(0, (parsed, action));
        Ok(())
    }

    /// The keys bound to `action`, most prominent first, for hints and help.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        let list = if action.is_text() {
            &self.text
        } else {
            &self.bindings
        };
        list.iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.label())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_labels_keys() {
        assert_eq!(
            Key::parse("ctrl-c"),
            Some(Key {
                code: KeyCode::Char('c'),
                modifiers: KeyModifiers::CONTROL
            })
        );
        assert_eq!(Key::parse("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(Key::parse("G").unwrap().code, KeyCode::Char('G'));
        assert_eq!(Key::parse("nonsense"), None);
        assert_eq!(Key::parse("pagedown").unwrap().label(), "pgdn");
    }

    #[test]
    fn default_map_and_overrides() {
        let mut map = Keymap::default();
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(map.action(j), Some(Action::Down));
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action(shifted_g), Some(Action::Bottom));
        map.bind("j", Action::Up).unwrap();
        assert_eq!(map.action(j), Some(Action::Up));
        assert!(map.bind("hyper-x", Action::Up).is_err());
        assert_eq!(map.keys_for(Action::ToggleHelp), vec!["?".to_string()]);
    }
}
