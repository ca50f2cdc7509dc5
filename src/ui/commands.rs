//! The one command table: each command's action, its hint-bar label and where the hint shows,
//! its help text, and the modes it works in. Dispatch (`App::update`), the hint bar and the help
//! overlay all read it, and the keys come from the keymap, so a rebinding shows everywhere.

use super::action::Action;
use super::app::{Mode, Pane};

/// Where a command's hint shows in the hint bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Not in the hint bar (help only).
    None,
    /// Always, this important (higher stays longer when the bar is short).
    Always(u8),
    /// When this pane has focus.
    In(Pane, u8),
    /// When the selected class (or the shared entry) has more than one mode.
    Modes(u8),
}

#[derive(Debug, Clone, Copy)]
pub struct Command {
    pub action: Action,
    /// Shown with it in the hint bar and help, as "j/k move".
    pub pair: Option<Action>,
    /// The hint bar's word for it.
    pub label: &'static str,
    /// The help overlay's line for it.
    pub help: &'static str,
    pub hint: Hint,
}

const fn command(action: Action, label: &'static str, help: &'static str, hint: Hint) -> Command {
    Command {
        action,
        pair: None,
        label,
        help,
        hint,
    }
}

/// The explorer's commands in normal mode, in help order.
pub const NORMAL: &[Command] = &[
    Command {
        action: Action::Down,
        pair: Some(Action::Up),
        label: "move",
        help: "down / up",
        hint: Hint::Always(9),
    },
    command(Action::PageDown, "page", "page down", Hint::None),
    command(Action::PageUp, "page up", "page up", Hint::None),
    command(Action::Top, "first", "first row", Hint::None),
    command(Action::Bottom, "last", "last row", Hint::None),
    command(Action::NextPane, "pane", "next pane", Hint::Always(8)),
    command(
        Action::PreviousPane,
        "back pane",
        "previous pane",
        Hint::None,
    ),
    command(
        Action::Search,
        "search",
        "search classes (fuzzy)",
        Hint::In(Pane::Classes, 6),
    ),
    command(
        Action::CycleSort,
        "sort",
        "sort classes: accuracy, SVM strength, name",
        Hint::In(Pane::Classes, 5),
    ),
    command(
        Action::CycleOrder,
        "order",
        "examples: hardest, easiest, least confident first",
        Hint::In(Pane::Examples, 6),
    ),
    command(
        Action::ToggleGrid,
        "grid",
        "thumbnail grid: hardest vs easiest",
        Hint::In(Pane::Examples, 5),
    ),
    command(
        Action::NextMode,
        "mode",
        "the class's next failure mode (on the shared entry: the next shared mode)",
        Hint::Modes(7),
    ),
    command(
        Action::CycleTriage,
        "triage",
        "triage mark: confirmed, not a problem, needs data, none",
        Hint::Always(4),
    ),
    command(Action::TriageNote, "note", "triage note", Hint::None),
    command(
        Action::TypeCaption,
        "caption",
        "score your own caption (needs --model)",
        Hint::Always(3),
    ),
    command(
        Action::Export,
        "export",
        "export rows, weights or a summary",
        Hint::Always(2),
    ),
    command(
        Action::Back,
        "back",
        "close the grid, clear the search",
        Hint::None,
    ),
    command(Action::ToggleHelp, "help", "this help", Hint::Always(10)),
    command(Action::Quit, "quit", "quit", Hint::Always(10)),
];

/// Typing in the search and the prompts.
pub const TEXT: &[Command] = &[
    command(Action::Confirm, "confirm", "confirm", Hint::Always(10)),
    command(Action::Cancel, "cancel", "cancel", Hint::Always(10)),
    command(
        Action::ClearInput,
        "clear",
        "clear before the cursor",
        Hint::Always(5),
    ),
    command(
        Action::DeleteWord,
        "word",
        "delete the word before the cursor",
        Hint::Always(4),
    ),
    command(
        Action::DeleteBack,
        "delete",
        "delete a character",
        Hint::None,
    ),
    command(Action::CursorLeft, "left", "cursor left", Hint::None),
    command(Action::CursorRight, "right", "cursor right", Hint::None),
    command(
        Action::CursorStart,
        "start",
        "cursor to the start",
        Hint::None,
    ),
    command(Action::CursorEnd, "end", "cursor to the end", Hint::None),
];

pub const HELP: &[Command] = &[
    Command {
        action: Action::Down,
        pair: Some(Action::Up),
        label: "scroll",
        help: "scroll",
        hint: Hint::Always(9),
    },
    command(Action::ToggleHelp, "close", "close help", Hint::Always(10)),
    command(Action::Quit, "quit", "quit", Hint::Always(8)),
];

pub const EXPORT_MENU: &[Command] = &[command(
    Action::Cancel,
    "cancel",
    "cancel",
    Hint::Always(10),
)];

/// The commands that work in `mode`.
pub fn for_mode(mode: &Mode) -> &'static [Command] {
    match mode {
        Mode::Normal => NORMAL,
        Mode::Help => HELP,
        Mode::ExportMenu => EXPORT_MENU,
        Mode::Search | Mode::ExportPath(_) | Mode::Note | Mode::Caption => TEXT,
    }
}
