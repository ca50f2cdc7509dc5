//! The explorer's state and how actions change it. No drawing and no terminal here, so every
//! behaviour is testable by feeding actions.

use super::action::Action;
use super::comparison::ComparisonView;
use super::findings::Findings;
use super::input::Input;
use super::triage::{Entry as TriageEntry, Mark, Triage};
use super::typed_caption::{self, CaptionWorker, TypedCaption, TypedResult};
use super::workers::Outbox;
use crate::analysis::direction::Outcome;
use crate::analysis::findings::{
    ClassFindings, FindingOptions, ModeFindings, SharedFindings, Status,
};
use crate::analysis::rank::RankedRow;
use crate::analysis::{Along, Model};
use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Split};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use std::path::PathBuf;
use std::sync::Arc;

/// A list's selected row and the first row its pane shows (the last draw sets the offset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListState {
    pub cursor: usize,
    pub offset: usize,
}

/// What a draw found out that the next update needs: where each list is scrolled to, and the
/// focused list's page height.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub class_offset: usize,
    pub example_offset: usize,
    pub caption_offset: usize,
    /// Lines the check pane has beyond its first screen (how far it can scroll).
    pub check_lines: usize,
    /// Thumbnails in the grid: (hardest, easiest).
    pub grid_cells: (usize, usize),
    /// The whole screen.
    pub screen: ratatui::layout::Rect,
    /// Screen row of the first list row of the classes, examples and captions panes.
    pub row_tops: [u16; 3],
    pub page: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Classes,
    Examples,
    Captions,
    /// The check and the baseline: scrolls, for small screens.
    Check,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Classes, Pane::Examples, Pane::Captions, Pane::Check];

    fn step(self, forward: bool) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        let n = Pane::ORDER.len();
        Pane::ORDER[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Comparison mode: the worst verdict first (regressed, new, persisting, weaker, fixed).
    Verdict,
    /// Worst test accuracy first.
    Accuracy,
    /// Strongest failure direction (CV balanced accuracy) first.
    Strength,
    Name,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Verdict => "verdict",
            SortKey::Accuracy => "accuracy",
            SortKey::Strength => "SVM strength",
            SortKey::Name => "name",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Hardest,
    Easiest,
    LeastConfident,
}

impl Order {
    pub fn label(self) -> &'static str {
        match self {
            Order::Hardest => "hardest first (SVM)",
            Order::Easiest => "easiest first (SVM)",
            Order::LeastConfident => "least confident first (baseline)",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            Order::Hardest => "hardest",
            Order::Easiest => "easiest",
            Order::LeastConfident => "least confident",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    HardestRows,
    Weights,
    Summary,
    Html,
}

impl ExportKind {
    pub const ALL: [ExportKind; 4] = [
        ExportKind::HardestRows,
        ExportKind::Weights,
        ExportKind::Summary,
        ExportKind::Html,
    ];

    pub fn label(self) -> String {
        match self {
            ExportKind::HardestRows => format!(
                "the {} hardest test rows of the mode shown (CSV or Parquet)",
                super::export::HARDEST_ROWS
            ),
            ExportKind::Weights => "training weights, soft scheme (CSV or Parquet)".into(),
            ExportKind::Summary => "a Markdown summary of the findings, with triage".into(),
            ExportKind::Html => "the report as one HTML page to share, with triage".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Search,
    Help,
    ExportMenu,
    /// Typing an export path; Enter writes.
    ExportPath(ExportKind),
    /// Typing the class's triage note.
    Note,
    /// Typing a caption to score against the class's direction.
    Caption,
}

/// A row of the class list: the classes, and on top (when the dataset has them) the failure
/// modes several classes share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Shared,
    Class(u32),
}

/// What the class list shows for one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassRow {
    pub class: u32,
    pub name: String,
    pub test_accuracy: Option<f64>,
    pub test_errors: usize,
    pub test_rows: usize,
    /// CV balanced accuracy of the SVM, once fitted.
    pub strength: Option<f64>,
    /// None while the fit runs.
    pub status: Option<Status>,
    /// Failure modes that are significant (0 while the fit runs).
    pub modes: usize,
    /// A shared mode explains one of its modes.
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FitState {
    Running { done: usize, total: usize },
    Done { cached: bool },
    Failed(String),
}

/// An export the app wants written; the runner does the I/O and reports back.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    pub kind: ExportKind,
    /// The class (or the shared modes) the rows come from.
    pub entry: Entry,
    pub path: PathBuf,
}

pub struct App {
    pub dataset: Arc<Dataset>,
    pub bank: Option<Arc<CaptionBank>>,
    pub model: Option<Arc<Model>>,
    pub fit: FitState,
    pub rows: Vec<ClassRow>,
    /// Class ids shown, after search and sort.
    pub visible: Vec<u32>,
    pub classes: ListState,
    pub examples: ListState,
    pub captions: ListState,
    /// The check pane's scroll (its cursor is the first line shown).
    pub check: ListState,
    pub sort: SortKey,
    pub search: Input,
    pub mode: Mode,
    pub focus: Pane,
    pub order: Order,
    pub grid: bool,
    /// Help overlay scroll.
    pub help_offset: usize,
    /// The prompt being typed (note, caption, export path).
    pub input: Input,
    pub status: Option<String>,
    pub triage: Triage,
    pub pending_export: Option<ExportRequest>,
    /// The triage changed and should be saved (by a worker in the live explorer).
    pub pending_triage_save: bool,
    pub quit: bool,
    /// Rows per page in the focused list; the last draw sets it.
    pub page: usize,
    findings: Option<Findings>,
    /// Where workers send results (the live explorer); None computes findings on demand (tests).
    outbox: Option<Outbox>,
    /// The examples list in the current order, for (entry, mode, order).
    ordered: Option<(Entry, usize, Order, Arc<Vec<RankedRow>>)>,
    /// The mode shown: of the selected class (0: mode 1, the paper's direction), or of the
    /// shared modes; `m` steps it.
    pub mode_cursor: usize,
    options: FindingOptions,
    /// Embeds typed captions; None without --model.
    caption_worker: Option<CaptionWorker>,
    /// The last caption the user typed, and its score once embedded.
    pub typed: Option<TypedCaption>,
    /// The entry the examples and captions lists belong to.
    shown_entry: Option<Entry>,
    /// The selected thumbnail in the grid: the hardest ones first, then the easiest.
    pub grid_cursor: usize,
    /// Thumbnails the grid shows: (hardest, easiest); the last draw says.
    pub grid_cells: (usize, usize),
    /// Text to put on the clipboard (OSC 52); the loop writes it.
    pub pending_copy: Option<String>,
    /// The screen's size at the last draw (where mouse clicks land).
    pub screen: ratatui::layout::Rect,
    /// Screen row of the first list row of the classes, examples and captions panes.
    pub row_tops: [u16; 3],
    /// How far the check pane scrolls (the last draw says).
    check_lines: usize,
    /// Comparison mode (`faultline diff`): the after model's outcomes and the verdicts.
    pub comparison: Option<Arc<ComparisonView>>,
}

impl App {
    pub fn new(dataset: Arc<Dataset>, bank: Option<Arc<CaptionBank>>, triage: Triage) -> App {
        let by_class = dataset.rows_by_class(Split::Test);
        let rows = (0..dataset.num_classes())
            .map(|c| {
                let test = &by_class[c];
                let errors = test
                    .iter()
                    .filter(|&&i| dataset.correct[i] == Some(false))
                    .count();
                ClassRow {
                    class: c as u32,
                    name: dataset.class_names[c].clone(),
                    test_accuracy: (!test.is_empty())
                        .then(|| 1.0 - errors as f64 / test.len() as f64),
                    test_errors: errors,
                    test_rows: test.len(),
                    strength: None,
                    status: None,
                    modes: 0,
                    shared: false,
                }
            })
            .collect();
        let total = dataset.num_classes();
        let mut app = App {
            dataset,
            bank,
            model: None,
            fit: FitState::Running { done: 0, total },
            rows,
            visible: Vec::new(),
            classes: ListState::default(),
            examples: ListState::default(),
            captions: ListState::default(),
            check: ListState::default(),
            sort: SortKey::Accuracy,
            search: Input::default(),
            mode: Mode::Normal,
            focus: Pane::Classes,
            order: Order::Hardest,
            grid: false,
            help_offset: 0,
            input: Input::default(),
            status: None,
            triage,
            pending_export: None,
            pending_triage_save: false,
            quit: false,
            page: 10,
            findings: None,
            outbox: None,
            ordered: None,
            caption_worker: None,
            typed: None,
            shown_entry: None,
            grid_cursor: 0,
            grid_cells: (0, 0),
            pending_copy: None,
            screen: ratatui::layout::Rect::default(),
            row_tops: [0; 3],
            check_lines: 0,
            comparison: None,
            mode_cursor: 0,
            options: FindingOptions {
                top_rows: 100,
                top_captions: 10,
                check_k: 50,
            },
        };
        app.refresh_visible();
        app
    }

    /// The fit finished: fill in statuses and strengths.
    pub fn set_model(&mut self, model: Arc<Model>, cached: bool) {
        for (row, fit) in self.rows.iter_mut().zip(&model.classes) {
            row.strength = fit.direction().map(|d| d.cv_balanced_accuracy);
            row.status = Some(model.status(fit.class));
            let modes = model.modes(fit.class);
            row.modes = modes.iter().filter(|m| m.evidence.significant).count();
            row.shared = modes.iter().any(|m| m.shared.is_some());
        }
        let (dataset, bank, options) = (
            self.dataset.clone(),
            self.bank.clone(),
            self.options.clone(),
        );
        self.findings = Some(match &self.outbox {
            Some(outbox) => {
                Findings::threaded(dataset, model.clone(), bank, options, outbox.clone())
            }
            None => Findings::synchronous(dataset, model.clone(), bank, options),
        });
        self.ordered = None;
        let has_shared = !model.assessment.shared.is_empty();
        self.model = Some(model);
        self.fit = FitState::Done { cached };
        if has_shared {
            if let Some(findings) = &mut self.findings {
                findings.request_shared();
            }
        }
        self.refresh_visible();
        self.refresh();
    }

    /// Comparison mode: the after model's outcomes and the verdicts; the classes sort by
    /// verdict, worst first.
    pub fn set_comparison(&mut self, view: Arc<ComparisonView>) {
        self.comparison = Some(view);
        self.sort = SortKey::Verdict;
        self.refresh_visible();
    }

    /// The mode shown (the selected class's, or the shared mode), as the core names it.
    pub fn along(&self) -> Option<Along> {
        match self.selected_entry()? {
            Entry::Shared => self.shared_view().map(|s| Along::Shared(s.position)),
            Entry::Class(_) => self.view().map(|m| Along::Mode(m.position)),
        }
    }

    /// Takes in the shared modes' findings a worker finished.
    pub fn take_shared(&mut self, found: Arc<Vec<SharedFindings>>) {
        if let Some(findings) = &mut self.findings {
            findings.insert_shared(found);
        }
        self.refresh();
    }

    /// Whether the class list starts with the shared modes (the dataset has some and no search
    /// is filtering the list).
    pub fn shows_shared(&self) -> bool {
        self.search.is_empty()
            && self
                .model
                .as_ref()
                .is_some_and(|m| !m.assessment.shared.is_empty())
    }

    /// Rows of the class list.
    pub fn entries_len(&self) -> usize {
        self.visible.len() + usize::from(self.shows_shared())
    }

    /// The class list's row at `index`.
    pub fn entry(&self, index: usize) -> Option<Entry> {
        if self.shows_shared() {
            match index {
                0 => Some(Entry::Shared),
                k => self.visible.get(k - 1).map(|&c| Entry::Class(c)),
            }
        } else {
            self.visible.get(index).map(|&c| Entry::Class(c))
        }
    }

    pub fn selected_entry(&self) -> Option<Entry> {
        self.entry(self.classes.cursor)
    }

    /// The shared modes' findings, once computed.
    pub fn shared_findings(&self) -> Option<&Arc<Vec<SharedFindings>>> {
        self.findings.as_ref()?.shared()
    }

    /// The shared mode shown, when the shared entry is selected.
    pub fn shared_view(&self) -> Option<&SharedFindings> {
        if self.selected_entry() != Some(Entry::Shared) {
            return None;
        }
        let all = self.shared_findings()?;
        all.get(self.mode_cursor).or_else(|| all.first())
    }

    /// How many modes the selected entry has to step through.
    pub fn mode_count(&self) -> usize {
        match self.selected_entry() {
            Some(Entry::Shared) => self.model.as_ref().map_or(0, |m| m.assessment.shared.len()),
            // From the model, so `m` works before the class's findings arrive.
            Some(Entry::Class(c)) => self.model.as_ref().map_or(0, |m| m.modes(c).len()),
            None => 0,
        }
    }

    /// A decision value of the selected entry in units of its spread (shared rows already are).
    pub fn sigma(&self, raw: f64) -> Option<f64> {
        match self.selected_entry() {
            Some(Entry::Shared) => Some(raw),
            _ => self.view().and_then(|m| m.sigma(raw)),
        }
    }

    /// The current ranking (the class's mode, or the shared mode across its classes), hardest
    /// first.
    pub fn ranking(&self) -> &[RankedRow] {
        match self.selected_entry() {
            Some(Entry::Shared) => self.shared_view().map_or(&[], |s| s.ranking.as_slice()),
            _ => self.view().map_or(&[], |m| m.ranking.as_slice()),
        }
    }

    /// Lets the user type captions (the worker holds the text model).
    pub fn set_caption_worker(&mut self, worker: CaptionWorker) {
        self.caption_worker = Some(worker);
    }

    /// Takes in an embedded typed caption and scores it.
    pub fn take_typed_caption(&mut self, response: typed_caption::Response) {
        let (class, text, outcome) = response;
        let result = match (outcome, &self.model) {
            (Err(e), _) => TypedResult::Failed(e),
            (Ok(_), None) => TypedResult::Failed("the fit has not finished".into()),
            (Ok(embedded), Some(model)) => {
                let mode = self.view().map_or(0, |m| m.position);
                typed_caption::score(
                    &self.dataset,
                    model,
                    class,
                    mode,
                    embedded,
                    self.options.check_k,
                )
            }
        };
        if let Some(typed) = &mut self.typed {
            if typed.class == class && typed.text == text {
                typed.result = result;
            }
        }
    }

    /// Computes findings on workers that report to `outbox`, from the next model on; call
    /// before `set_model`.
    pub fn compute_in_background(&mut self, outbox: Outbox) {
        self.outbox = Some(outbox);
    }

    /// Takes in findings a worker finished.
    pub fn take_findings(&mut self, class: u32, found: Arc<ClassFindings>) {
        if let Some(findings) = &mut self.findings {
            findings.insert(class, found);
        }
        self.refresh();
    }

    pub fn set_fit_failed(&mut self, message: String) {
        self.fit = FitState::Failed(message);
    }

    pub fn selected_class(&self) -> Option<u32> {
        match self.selected_entry()? {
            Entry::Class(c) => Some(c),
            Entry::Shared => None,
        }
    }

    /// A class's findings, if computed.
    pub fn class_findings(&self, class: u32) -> Option<&Arc<ClassFindings>> {
        self.findings.as_ref()?.get(class)
    }

    /// The selected class's findings, once computed.
    pub fn findings(&self) -> Option<&Arc<ClassFindings>> {
        let class = self.selected_class()?;
        self.findings.as_ref()?.get(class)
    }

    /// The selected class's mode being shown, once its findings are in.
    pub fn view(&self) -> Option<&ModeFindings> {
        let findings = self.findings()?;
        findings.mode(self.mode_cursor).or_else(|| findings.first())
    }

    /// Asks for what the screen needs next (the selected class's findings, then its
    /// neighbours', so stepping through the list finds them ready) and sorts the examples
    /// once they are in. Called after every change; drawing only reads.
    fn refresh(&mut self) {
        let cursor = self.classes.cursor;
        let wanted: Vec<u32> = [cursor + 1, cursor.wrapping_sub(1), cursor]
            .iter()
            .filter_map(|&i| match self.entry(i)? {
                Entry::Class(c) => Some(c),
                Entry::Shared => None,
            })
            .collect();
        if let Some(findings) = &mut self.findings {
            // The selected class last: workers take the newest request first.
            for class in wanted {
                findings.request(class);
            }
        }
        self.refresh_examples();
    }

    /// The (entry, mode) the examples show, once their ranking is in.
    fn shown_key(&self) -> Option<(Entry, usize)> {
        match self.selected_entry()? {
            Entry::Shared => self.shared_view().map(|s| (Entry::Shared, s.position)),
            Entry::Class(c) => self.view().map(|m| (Entry::Class(c), m.position)),
        }
    }

    /// Sorts the selected entry's examples in the current order, once per (entry, mode, order).
    fn refresh_examples(&mut self) {
        let Some((entry, mode)) = self.shown_key() else {
            return;
        };
        let key = (entry, mode, self.order);
        if self
            .ordered
            .as_ref()
            .is_some_and(|(e, m, order, _)| (*e, *m, *order) == key)
        {
            return;
        }
        let mut rows = self.ranking().to_vec();
        match self.order {
            Order::Hardest => {}
            Order::Easiest => rows.reverse(),
            Order::LeastConfident => {
                if let Some(confidence) = &self.dataset.confidence {
                    rows.sort_by(|a, b| {
                        confidence[a.row]
                            .total_cmp(&confidence[b.row])
                            .then(a.row.cmp(&b.row))
                    });
                }
            }
        }
        self.ordered = Some((key.0, key.1, key.2, Arc::new(rows)));
    }

    /// The examples list in the current order (empty until the class's findings are in).
    pub fn example_rows(&self) -> &[RankedRow] {
        match (&self.ordered, self.shown_key()) {
            (Some((entry, mode, order, rows)), Some(key))
                if (*entry, *mode) == key && *order == self.order =>
            {
                rows
            }
            _ => &[],
        }
    }

    pub fn selected_example(&self) -> Option<RankedRow> {
        self.example_rows().get(self.examples.cursor).copied()
    }

    /// The grid's selected thumbnail: its test row, and whether it is from the hardest side.
    pub fn grid_selection(&self) -> Option<(RankedRow, bool)> {
        let ranking = self.ranking();
        let (hard, easy) = self.grid_cells;
        if hard + easy == 0 {
            return None;
        }
        if self.grid_cursor < hard {
            ranking.get(self.grid_cursor).map(|r| (*r, true))
        } else {
            let k = self.grid_cursor - hard;
            ranking.iter().rev().nth(k).map(|r| (*r, false))
        }
    }

    /// Enter: in the grid, show the selected thumbnail's row in the examples list; in the class
    /// list, go to the examples.
    fn open(&mut self) {
        if self.grid {
            if let Some((_, hard)) = self.grid_selection() {
                let (hardest, _) = self.grid_cells;
                self.order = if hard { Order::Hardest } else { Order::Easiest };
                self.refresh_examples();
                self.examples.cursor = if hard {
                    self.grid_cursor
                } else {
                    self.grid_cursor - hardest
                };
                self.grid = false;
                self.focus = Pane::Examples;
            }
        } else if self.focus == Pane::Classes {
            self.focus = Pane::Examples;
        }
    }

    /// y: the selected row's id and image path, tab-separated, onto the clipboard.
    fn copy(&mut self) {
        let row = if self.grid {
            self.grid_selection().map(|(r, _)| r)
        } else {
            self.selected_example()
        };
        let Some(row) = row else {
            self.status = Some("no row selected to copy".into());
            return;
        };
        let id = self.dataset.ids.get(row.row).to_string();
        let text = match self.dataset.image(row.row) {
            Some(path) => format!("{id}\t{}", path.display()),
            None => id.clone(),
        };
        self.status = Some(format!(
            "copied id {} to the clipboard (OSC 52)",
            crate::text::visible(&id)
        ));
        self.pending_copy = Some(text);
    }

    /// A click on `pane`'s `row`-th list row (counted from the first shown) or elsewhere on it:
    /// focus the pane and select the row.
    pub fn click(&mut self, pane: Pane, row: Option<usize>) {
        if self.mode != Mode::Normal {
            return;
        }
        self.status = None;
        self.focus = pane;
        let Some(row) = row else {
            return;
        };
        match pane {
            Pane::Classes => {
                let at = self.classes.offset + row;
                if at < self.entries_len() {
                    self.select_class(at);
                }
            }
            Pane::Examples if !self.grid => {
                let at = self.examples.offset + row;
                if at < self.example_rows().len() {
                    self.examples.cursor = at;
                }
            }
            Pane::Captions => {
                let at = self.captions.offset + row;
                if at < self.caption_count() {
                    self.captions.cursor = at;
                }
            }
            Pane::Examples | Pane::Check => {}
        }
    }

    /// The mouse wheel over `pane`: scrolls it, wherever the focus is.
    pub fn scroll(&mut self, pane: Pane, down: bool) {
        if self.mode != Mode::Normal {
            return;
        }
        let focus = self.focus;
        self.focus = pane;
        self.update(if down { Action::Down } else { Action::Up });
        self.focus = focus;
    }

    /// Applies what the last draw found (scroll offsets, page height).
    pub fn drawn(&mut self, drawn: Drawn) {
        self.classes.offset = drawn.class_offset;
        self.examples.offset = drawn.example_offset;
        self.captions.offset = drawn.caption_offset;
        self.check_lines = drawn.check_lines;
        self.grid_cells = drawn.grid_cells;
        self.grid_cursor = self
            .grid_cursor
            .min((drawn.grid_cells.0 + drawn.grid_cells.1).saturating_sub(1));
        self.screen = drawn.screen;
        self.row_tops = drawn.row_tops;
        self.check.cursor = self.check.cursor.min(drawn.check_lines.saturating_sub(1));
        self.page = drawn.page.max(1);
    }

    fn refresh_visible(&mut self) {
        let selected = self.selected_entry();
        let matcher = SkimMatcherV2::default();
        let query = self.search.text();
        let mut scored: Vec<(i64, &ClassRow)> = self
            .rows
            .iter()
            .filter_map(|r| {
                if query.is_empty() {
                    Some((0, r))
                } else {
                    matcher.fuzzy_match(&r.name, query).map(|s| (s, r))
                }
            })
            .collect();
        let sort = self.sort;
        let verdict = |class: u32| {
            self.comparison
                .as_ref()
                .and_then(|v| v.class(class))
                .map_or(u8::MAX, |c| super::comparison::rank(c.summary()))
        };
        scored.sort_by(|(sa, a), (sb, b)| {
            sb.cmp(sa).then_with(|| match sort {
                SortKey::Verdict => verdict(a.class)
                    .cmp(&verdict(b.class))
                    .then(
                        a.test_accuracy
                            .unwrap_or(2.0)
                            .total_cmp(&b.test_accuracy.unwrap_or(2.0)),
                    )
                    .then(a.class.cmp(&b.class)),
                SortKey::Accuracy => a
                    .test_accuracy
                    .unwrap_or(2.0)
                    .total_cmp(&b.test_accuracy.unwrap_or(2.0))
                    .then(a.class.cmp(&b.class)),
                SortKey::Strength => b
                    .strength
                    .unwrap_or(-1.0)
                    .total_cmp(&a.strength.unwrap_or(-1.0))
                    .then(a.class.cmp(&b.class)),
                SortKey::Name => a.name.cmp(&b.name),
            })
        });
        self.visible = scored.into_iter().map(|(_, r)| r.class).collect();
        let cursor = selected
            .and_then(|e| (0..self.entries_len()).find(|&i| self.entry(i) == Some(e)))
            .unwrap_or(0);
        self.select_class(cursor);
    }

    /// Moves the class cursor; a new entry starts with its first mode and its lists at the top.
    fn select_class(&mut self, cursor: usize) {
        self.classes.cursor = cursor;
        let entry = self.selected_entry();
        if entry != self.shown_entry {
            self.shown_entry = entry;
            self.mode_cursor = 0;
            self.reset_lists();
        }
        self.refresh();
    }

    fn reset_lists(&mut self) {
        self.examples = ListState::default();
        self.captions = ListState::default();
        self.check = ListState::default();
        self.grid_cursor = 0;
    }

    /// m: the selected class's next failure mode (or the next shared mode), wrapping round.
    fn next_mode(&mut self) {
        let count = self.mode_count();
        if count < 2 {
            self.status = Some(match self.selected_entry() {
                Some(Entry::Class(_)) if count == 1 => {
                    "this class has one failure mode (its errors do not split further)".into()
                }
                Some(Entry::Shared) => "one shared mode".into(),
                _ => "no failure modes here".into(),
            });
            return;
        }
        self.mode_cursor = (self.mode_cursor + 1) % count;
        self.reset_lists();
        self.refresh_examples();
        self.status = Some(match self.selected_entry() {
            Some(Entry::Shared) => format!("shared mode {} of {count}", self.mode_cursor + 1),
            _ => format!("mode {} of {count}", self.mode_cursor + 1),
        });
    }

    pub fn caption_count(&self) -> usize {
        if let Some(shared) = self.shared_view() {
            return shared.hard_captions.len().max(shared.easy_captions.len());
        }
        self.view()
            .and_then(|m| m.captions.as_ref().map(|c| c.ranked.len()))
            .unwrap_or(0)
    }

    fn move_cursor(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        if self.grid && self.focus == Pane::Examples {
            let len = self.grid_cells.0 + self.grid_cells.1;
            self.grid_cursor = if len == 0 {
                0
            } else {
                to(self.grid_cursor, len).min(len - 1)
            };
            return;
        }
        let (len, cursor) = match self.focus {
            Pane::Classes => (self.entries_len(), self.classes.cursor),
            Pane::Examples => (self.example_rows().len(), self.examples.cursor),
            Pane::Captions => (self.caption_count(), self.captions.cursor),
            Pane::Check => (self.check_lines, self.check.cursor),
        };
        let next = if len == 0 {
            0
        } else {
            to(cursor, len).min(len - 1)
        };
        match self.focus {
            Pane::Classes => self.select_class(next),
            Pane::Examples => self.examples.cursor = next,
            Pane::Captions => self.captions.cursor = next,
            Pane::Check => self.check.cursor = next,
        }
    }

    /// Applies one action in the current mode. Every (mode, action) pair is spelled out, so a
    /// new action must be given a meaning (or none) in each mode.
    pub fn update(&mut self, action: Action) {
        self.status = None;
        match self.mode.clone() {
            Mode::Normal => self.normal(action),
            Mode::Help => self.help(action),
            Mode::ExportMenu => self.export_menu(action),
            Mode::Search | Mode::ExportPath(_) | Mode::Note | Mode::Caption => self.typing(action),
        }
    }

    fn normal(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => {
                self.help_offset = 0;
                self.mode = Mode::Help;
            }
            Action::Up => self.move_cursor(|c, _| c.saturating_sub(1)),
            Action::Down => self.move_cursor(|c, _| c + 1),
            Action::PageUp => {
                let page = self.page.max(1);
                self.move_cursor(|c, _| c.saturating_sub(page))
            }
            Action::PageDown => {
                let page = self.page.max(1);
                self.move_cursor(|c, _| c + page)
            }
            Action::Top => self.move_cursor(|_, _| 0),
            Action::Bottom => self.move_cursor(|_, len| len.saturating_sub(1)),
            Action::NextPane => self.focus = self.focus.step(true),
            Action::PreviousPane => self.focus = self.focus.step(false),
            Action::Search => {
                self.focus = Pane::Classes;
                self.mode = Mode::Search;
            }
            Action::CycleSort => {
                self.sort = match self.sort {
                    SortKey::Verdict => SortKey::Accuracy,
                    SortKey::Accuracy => SortKey::Strength,
                    SortKey::Strength => SortKey::Name,
                    SortKey::Name if self.comparison.is_some() => SortKey::Verdict,
                    SortKey::Name => SortKey::Accuracy,
                };
                self.refresh_visible();
                self.status = Some(format!("classes sorted by {}", self.sort.label()));
            }
            Action::CycleOrder => {
                self.order = match self.order {
                    Order::Hardest => Order::Easiest,
                    Order::Easiest if self.dataset.confidence.is_some() => Order::LeastConfident,
                    _ => Order::Hardest,
                };
                self.examples = ListState::default();
                self.refresh_examples();
                self.status = Some(format!("examples: {}", self.order.label()));
            }
            Action::ToggleGrid => self.grid = !self.grid,
            Action::NextMode => self.next_mode(),
            Action::Export => self.mode = Mode::ExportMenu,
            Action::CycleTriage | Action::TriageNote if self.selected_class().is_none() => {
                self.status = Some("triage marks and notes are per class: select a class".into());
            }
            Action::CycleTriage => self.cycle_triage(),
            Action::TriageNote => {
                if let Some(class) = self.selected_class() {
                    let note = self
                        .triage
                        .get(&self.dataset.class_names[class as usize])
                        .map(|e| e.note.clone())
                        .unwrap_or_default();
                    self.input = Input::new(&note);
                    self.mode = Mode::Note;
                }
            }
            Action::TypeCaption => {
                if self.caption_worker.is_none() {
                    self.status = Some(
                        "to score your own captions, start with --model DIR (a CLIP model folder)"
                            .into(),
                    );
                } else if self.selected_class().is_some() {
                    // Each caption starts empty: the last one is in the Check pane.
                    self.input = Input::default();
                    self.mode = Mode::Caption;
                }
            }
            Action::Open => self.open(),
            Action::Copy => self.copy(),
            Action::Back => {
                if !self.search.is_empty() {
                    self.search = Input::default();
                    self.refresh_visible();
                }
                self.grid = false;
            }
            Action::Insert(_)
            | Action::DeleteBack
            | Action::DeleteWord
            | Action::ClearInput
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd
            | Action::Confirm
            | Action::Cancel => {}
        }
    }

    fn help(&mut self, action: Action) {
        match action {
            Action::ToggleHelp | Action::Back | Action::Cancel => self.mode = Mode::Normal,
            Action::Quit => self.quit = true,
            Action::Down => self.help_offset += 1,
            Action::Up => self.help_offset = self.help_offset.saturating_sub(1),
            Action::PageDown => self.help_offset += self.page.max(1),
            Action::PageUp => self.help_offset = self.help_offset.saturating_sub(self.page.max(1)),
            Action::Top => self.help_offset = 0,
            Action::Bottom => self.help_offset = usize::MAX / 2,
            Action::NextPane
            | Action::PreviousPane
            | Action::Search
            | Action::CycleSort
            | Action::CycleOrder
            | Action::ToggleGrid
            | Action::NextMode
            | Action::Export
            | Action::CycleTriage
            | Action::TriageNote
            | Action::TypeCaption
            | Action::Open
            | Action::Copy
            | Action::Insert(_)
            | Action::DeleteBack
            | Action::DeleteWord
            | Action::ClearInput
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd
            | Action::Confirm => {}
        }
    }

    fn export_menu(&mut self, action: Action) {
        match action {
            Action::Insert(c) => {
                if let Some(kind) = c
                    .to_digit(10)
                    .and_then(|d| ExportKind::ALL.get((d as usize).wrapping_sub(1)))
                {
                    self.input = Input::new(&default_export_path(*kind, &self.selected_name()));
                    self.mode = Mode::ExportPath(*kind);
                }
            }
            Action::Back | Action::Cancel => self.mode = Mode::Normal,
            Action::Quit
            | Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::NextPane
            | Action::PreviousPane
            | Action::Search
            | Action::CycleSort
            | Action::CycleOrder
            | Action::ToggleGrid
            | Action::NextMode
            | Action::ToggleHelp
            | Action::Export
            | Action::CycleTriage
            | Action::TriageNote
            | Action::TypeCaption
            | Action::Open
            | Action::Copy
            | Action::DeleteBack
            | Action::DeleteWord
            | Action::ClearInput
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd
            | Action::Confirm => {}
        }
    }

    /// Typing in the class search (the list filters as the query changes) or in a prompt (a
    /// note, a caption, an export path).
    fn typing(&mut self, action: Action) {
        let searching = self.mode == Mode::Search;
        let query = self.search.text().to_string();
        match action {
            Action::Confirm if searching => self.mode = Mode::Normal,
            Action::Confirm => self.confirm(),
            Action::Cancel | Action::Back => {
                if searching {
                    self.search = Input::default();
                }
                self.mode = Mode::Normal;
            }
            Action::Insert(_)
            | Action::DeleteBack
            | Action::DeleteWord
            | Action::ClearInput
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd => {
                let input = if searching {
                    &mut self.search
                } else {
                    &mut self.input
                };
                edit(input, action);
            }
            Action::Quit
            | Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::NextPane
            | Action::PreviousPane
            | Action::Search
            | Action::CycleSort
            | Action::CycleOrder
            | Action::ToggleGrid
            | Action::NextMode
            | Action::ToggleHelp
            | Action::Export
            | Action::CycleTriage
            | Action::TriageNote
            | Action::TypeCaption
            | Action::Open
            | Action::Copy => {}
        }
        if self.search.text() != query {
            self.classes.cursor = 0;
            self.refresh_visible();
            self.select_class(0);
        }
    }

    /// Enter in a prompt: write the export, score the caption, save the note.
    fn confirm(&mut self) {
        match self.mode.clone() {
            Mode::ExportPath(kind) => {
                if let Some(entry) = self.selected_entry() {
                    self.pending_export = Some(ExportRequest {
                        kind,
                        entry,
                        path: PathBuf::from(self.input.text().trim()),
                    });
                    self.status = Some("exporting…".into());
                }
            }
            Mode::Caption => {
                let text = self.input.text().trim().to_string();
                if let (Some(class), Some(worker), false) =
                    (self.selected_class(), &self.caption_worker, text.is_empty())
                {
                    worker.request(&self.dataset, class, &text, self.options.check_k);
                    self.typed = Some(TypedCaption {
                        class,
                        text,
                        result: TypedResult::Pending,
                    });
                }
            }
            Mode::Note => {
                if let Some(class) = self.selected_class() {
                    let name = self.dataset.class_names[class as usize].clone();
                    let mark = self.triage.get(&name).and_then(|e| e.mark);
                    let note = self.input.text().trim().to_string();
                    let saved = if note.is_empty() {
                        format!("{name}: note cleared")
                    } else {
                        format!("{name}: note saved")
                    };
                    self.save_triage(
                        &name,
                        TriageEntry {
                            mark,
                            note,
                            changed_ms: 0,
                        },
                    );
                    self.status.get_or_insert(saved);
                }
            }
            Mode::Normal | Mode::Search | Mode::Help | Mode::ExportMenu => {}
        }
        self.mode = Mode::Normal;
    }

    pub fn is_typing(&self) -> bool {
        matches!(
            self.mode,
            Mode::Search | Mode::ExportPath(_) | Mode::Note | Mode::Caption | Mode::ExportMenu
        )
    }

    /// The selected class's name, or "shared-N" on the shared entry (for file names).
    pub fn selected_name(&self) -> String {
        match self.selected_entry() {
            Some(Entry::Class(c)) => self.dataset.class_names[c as usize].clone(),
            Some(Entry::Shared) => format!("shared-{}", self.mode_cursor + 1),
            None => "class".into(),
        }
    }

    fn cycle_triage(&mut self) {
        let Some(class) = self.selected_class() else {
            return;
        };
        let name = self.dataset.class_names[class as usize].clone();
        let mut entry = self.triage.get(&name).cloned().unwrap_or_default();
        entry.mark = Mark::next(entry.mark);
        let label = entry.mark.map_or("no mark", Mark::label);
        self.save_triage(&name, entry);
        if self.status.is_none() {
            self.status = Some(format!("{name}: {label}"));
        }
    }

    /// Records the change at once; the live explorer saves it on a worker (the merge with
    /// another explorer's saves comes back as a message), tests save here.
    fn save_triage(&mut self, name: &str, entry: TriageEntry) {
        self.triage.record(name, entry);
        if self.outbox.is_some() {
            self.pending_triage_save = true;
        } else if let Err(e) = self.triage.save() {
            self.status = Some(format!("triage not saved: {e}"));
        }
    }

    /// Why the selected entry has no ranking, for the examples pane.
    pub fn unavailable_reason(&self) -> Option<String> {
        if self.selected_entry() == Some(Entry::Shared) {
            return self
                .shared_view()
                .is_none()
                .then(|| "ranking the shared modes' test rows…".into());
        }
        let class = self.selected_class()?;
        match &self.fit {
            FitState::Running { done, total } => {
                return Some(format!("fitting directions… {done}/{total} classes"))
            }
            FitState::Failed(message) => return Some(format!("fit failed: {message}")),
            FitState::Done { .. } => {}
        }
        let model = self.model.as_ref()?;
        match &model.classes[class as usize].outcome {
            Outcome::Skipped { reason } => Some(format!("skipped: {reason}")),
            Outcome::Fitted(_) if self.rows[class as usize].test_rows == 0 => {
                Some("no test rows".into())
            }
            Outcome::Fitted(_) => self
                .findings()
                .is_none()
                .then(|| "ranking the test rows…".into()),
        }
    }
}

/// Applies a text-editing action to `input`.
fn edit(input: &mut Input, action: Action) {
    match action {
        Action::Insert(c) => input.insert(c),
        Action::DeleteBack => input.delete_back(),
        Action::DeleteWord => input.delete_word(),
        Action::ClearInput => input.clear_before(),
        Action::CursorLeft => input.left(),
        Action::CursorRight => input.right(),
        Action::CursorStart => input.home(),
        Action::CursorEnd => input.end(),
        _ => {}
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn default_export_path(kind: ExportKind, class: &str) -> String {
    match kind {
        ExportKind::HardestRows => format!("faultline-{}-hardest.csv", sanitize(class)),
        ExportKind::Weights => "faultline-weights.parquet".into(),
        ExportKind::Summary => "faultline-summary.md".into(),
        ExportKind::Html => "faultline-report.html".into(),
    }
}
