//! Comparison mode (`faultline diff` in a terminal): the explorer over the before model, with
//! the after model's predictions beside it and each mode's verdict.

use crate::analysis::compare::{ClassDiff, Comparison, ModeDiff, Verdict};
use crate::analysis::Along;
use crate::data::Dataset;
use crate::ui::theme::Theme;
use ratatui::style::Style;
use std::sync::Arc;

/// What the explorer needs to compare: the after model's outcomes on the same rows, and the
/// verdicts.
pub struct ComparisonView {
    /// The same examples with the after model's predictions and correctness.
    pub after: Arc<Dataset>,
    pub diff: Comparison,
    /// How the title names the two models ("prediction → prediction_v2").
    pub label: String,
}

impl ComparisonView {
    pub fn class(&self, class: u32) -> Option<&ClassDiff> {
        self.diff.classes.iter().find(|c| c.class == class)
    }

    /// The verdict on a mode of the before model.
    pub fn mode(&self, class: u32, along: Along) -> Option<&ModeDiff> {
        self.class(class)?.modes.iter().find(|m| m.along == along)
    }
}

/// A verdict in a narrow column ("persists" for "persisting", "–" for not a finding).
pub fn short(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Fixed => "fixed",
        Verdict::Weaker => "weaker",
        Verdict::Persisting => "persists",
        Verdict::Regressed => "regressed",
        Verdict::New => "new",
        Verdict::NotAFinding => "–",
    }
}

/// Its colour: better in the easy colour, worse in the hard one (the word says it without colour).
pub fn style(verdict: Verdict, theme: &Theme) -> Style {
    match verdict {
        Verdict::Fixed => theme.easy,
        Verdict::Weaker => theme.accent,
        Verdict::Persisting => theme.warning,
        Verdict::Regressed | Verdict::New => theme.hard,
        Verdict::NotAFinding => theme.muted,
    }
}

/// Sorting classes by verdict: the worst first.
pub fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Regressed => 0,
        Verdict::New => 1,
        Verdict::Persisting => 2,
        Verdict::Weaker => 3,
        Verdict::Fixed => 4,
        Verdict::NotAFinding => 5,
    }
}
