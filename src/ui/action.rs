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
    /// The class's next failure mode (or, on the shared entry, the next shared mode).
    NextMode,
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
    /// Enter: open the selected thumbnail's row (in the grid), or go to the examples.
    Open,
    /// Copy the selected row's id and image path to the clipboard (OSC 52).
    Copy,
    // Typing in the search and the prompts (the keymap's text bindings; characters insert).
    /// Type a character.
    #[serde(skip_deserializing)]
    Insert(char),
    DeleteBack,
    DeleteWord,
    ClearInput,
    CursorLeft,
    CursorRight,
    CursorStart,
    CursorEnd,
    /// Enter: keep the search, write the export, save the note, score the caption.
    Confirm,
    /// Esc in a prompt: leave it (a search keeps nothing).
    Cancel,
}

impl Action {
    /// Actions of the text bindings (search and prompts), not of the normal keymap.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Action::Insert(_)
                | Action::DeleteBack
                | Action::DeleteWord
                | Action::ClearInput
                | Action::CursorLeft
                | Action::CursorRight
                | Action::CursorStart
                | Action::CursorEnd
                | Action::Confirm
                | Action::Cancel
        )
    }
}
