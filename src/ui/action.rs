//! Everything the user can ask the explorer to do. Keys map to these (see `keymap`), so
//! bindings are data and the state machine in `app` is tested without a terminal.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PreviousPane,
    /// Start typing a fuzzy class search.
    Search,
    /// Cycle the class order: accuracy, SVM strength, name.
    CycleSort,
    /// Cycle the example order: hardest first, easiest first, least confident first.
    CycleOrder,
    /// Thumbnails of the K hardest and K easiest test rows side by side.
    ToggleGrid,
    ToggleHelp,
    /// Open the export menu.
    Export,
    /// Cycle the class's triage mark: confirmed, not a problem, needs data, none.
    CycleTriage,
    /// Write a note on the class's triage.
    TriageNote,
    /// Type a caption and score it against the class's failure direction (needs --model).
    TypeCaption,
    /// Close an overlay or prompt, clear a search.
    Back,
}

impl Action {
    /// What the help overlay and hint bar call it.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first",
            Action::Bottom => "last",
            Action::NextPane => "next pane",
            Action::PreviousPane => "previous pane",
            Action::Search => "search classes",
            Action::CycleSort => "sort classes",
            Action::CycleOrder => "hardest/easiest/least confident",
            Action::ToggleGrid => "thumbnail grid",
            Action::ToggleHelp => "help",
            Action::Export => "export",
            Action::CycleTriage => "triage mark",
            Action::TriageNote => "triage note",
            Action::TypeCaption => "score your own caption",
            Action::Back => "back",
        }
    }
}
