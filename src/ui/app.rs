//! The explorer's state and how actions change it. No drawing and no terminal here, so every
//! behaviour is testable by feeding actions.

use super::action::Action;
use super::findings::Findings;
use super::triage::{Entry, Mark, Triage};
use super::typed_caption::{self, CaptionWorker, TypedCaption, TypedResult};
use crate::analysis::direction::Outcome;
use crate::analysis::findings::{ClassFindings, FindingOptions, Status};
use crate::analysis::rank::RankedRow;
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Split};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Classes,
    Examples,
    Captions,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::Classes, Pane::Examples, Pane::Captions];

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
    /// Worst test accuracy first.
    Accuracy,
    /// Strongest failure direction (CV balanced accuracy) first.
    Strength,
    Name,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    HardestRows,
    Weights,
    Summary,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [
        ExportKind::HardestRows,
        ExportKind::Weights,
        ExportKind::Summary,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExportKind::HardestRows => "the current class's 100 hardest test rows (CSV or Parquet)",
            ExportKind::Weights => "training weights, soft scheme (CSV or Parquet)",
            ExportKind::Summary => "a Markdown summary of the findings, with triage",
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
    pub class: u32,
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
    pub class_cursor: usize,
    pub sort: SortKey,
    pub query: String,
    pub mode: Mode,
    pub focus: Pane,
    pub order: Order,
    pub example_cursor: usize,
    pub caption_cursor: usize,
    /// First row each list shows; drawing keeps the cursor inside the window.
    pub class_offset: usize,
    pub example_offset: usize,
    pub caption_offset: usize,
    pub grid: bool,
    pub input: String,
    pub status: Option<String>,
    pub triage: Triage,
    pub pending_export: Option<ExportRequest>,
    pub quit: bool,
    /// Rows per page in the focused list; the last draw sets it.
    pub page: usize,
    findings: Option<Findings>,
    /// Compute findings on a worker thread (the live explorer) rather than on demand (tests).
    background: bool,
    /// The examples list in the current order, for (class, order).
    ordered: Option<(u32, Order, Arc<Vec<RankedRow>>)>,
    options: FindingOptions,
    /// Embeds typed captions; None without --model.
    caption_worker: Option<CaptionWorker>,
    /// The last caption the user typed, and its score once embedded.
    pub typed: Option<TypedCaption>,
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
            class_cursor: 0,
            sort: SortKey::Accuracy,
            query: String::new(),
            mode: Mode::Normal,
            focus: Pane::Classes,
            order: Order::Hardest,
            example_cursor: 0,
            caption_cursor: 0,
            class_offset: 0,
            example_offset: 0,
            caption_offset: 0,
            grid: false,
            input: String::new(),
            status: None,
            triage,
            pending_export: None,
            quit: false,
            page: 10,
            findings: None,
            background: false,
            ordered: None,
            caption_worker: None,
            typed: None,
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
            row.status = Some(crate::analysis::findings::status_of(fit));
        }
        let findings = if self.background {
            Findings::threaded
        } else {
            Findings::synchronous
        };
        self.findings = Some(findings(
            self.dataset.clone(),
            model.clone(),
            self.bank.clone(),
            self.options.clone(),
        ));
        self.ordered = None;
        self.model = Some(model);
        self.fit = FitState::Done { cached };
        self.refresh_visible();
    }

    /// Lets the user type captions (the worker holds the text model).
    pub fn set_caption_worker(&mut self, worker: CaptionWorker) {
        self.caption_worker = Some(worker);
    }

    /// Takes in an embedded typed caption and scores it; true when the screen should change.
    pub fn poll_typed_caption(&mut self) -> bool {
        let Some((class, text, outcome)) = self
            .caption_worker
            .as_ref()
            .and_then(CaptionWorker::try_result)
        else {
            return false;
        };
        let result = match (outcome, &self.model) {
            (Err(e), _) => TypedResult::Failed(e),
            (Ok(_), None) => TypedResult::Failed("the fit has not finished".into()),
            (Ok(embedded), Some(model)) => {
                typed_caption::score(&self.dataset, model, class, embedded, self.options.check_k)
            }
        };
        if let Some(typed) = &mut self.typed {
            if typed.class == class && typed.text == text {
                typed.result = result;
                return true;
            }
        }
        false
    }

    /// Computes findings on a worker thread from the next model on; call before `set_model`.
    pub fn compute_in_background(&mut self) {
        self.background = true;
    }

    /// Takes in findings the worker finished; true when the screen should be redrawn.
    pub fn poll_findings(&mut self) -> bool {
        self.findings.as_mut().is_some_and(Findings::poll)
    }

    pub fn set_fit_failed(&mut self, message: String) {
        self.fit = FitState::Failed(message);
    }

    pub fn selected_class(&self) -> Option<u32> {
        self.visible.get(self.class_cursor).copied()
    }

    /// The selected class's findings, computed once and kept; None while the fit or the worker
    /// is still on it. Also asks for the neighbouring classes, so stepping through the list
    /// finds them ready.
    pub fn findings(&mut self) -> Option<Arc<ClassFindings>> {
        let class = self.selected_class()?;
        let neighbours = [
            self.class_cursor.checked_sub(1),
            Some(self.class_cursor + 1),
        ];
        let findings = self.findings.as_mut()?;
        let found = findings.get(class);
        for i in neighbours.into_iter().flatten() {
            if let Some(&c) = self.visible.get(i) {
                findings.prefetch(c);
            }
        }
        found
    }

    /// The examples list in the current order (kept, so redraws do not copy or re-sort it).
    pub fn examples(&mut self) -> Arc<Vec<RankedRow>> {
        let Some(findings) = self.findings() else {
            return Arc::default();
        };
        let key = (findings.class, self.order);
        if let Some((class, order, rows)) = &self.ordered {
            if (*class, *order) == key {
                return rows.clone();
            }
        }
        let mut rows = findings.ranking.clone();
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
        let rows = Arc::new(rows);
        self.ordered = Some((key.0, key.1, rows.clone()));
        rows
    }

    pub fn selected_example(&mut self) -> Option<RankedRow> {
        let cursor = self.example_cursor;
        self.examples().get(cursor).copied()
    }

    fn refresh_visible(&mut self) {
        let selected = self.selected_class();
        let matcher = SkimMatcherV2::default();
        let mut scored: Vec<(i64, &ClassRow)> = self
            .rows
            .iter()
            .filter_map(|r| {
                if self.query.is_empty() {
                    Some((0, r))
                } else {
                    matcher.fuzzy_match(&r.name, &self.query).map(|s| (s, r))
                }
            })
            .collect();
        let sort = self.sort;
        scored.sort_by(|(sa, a), (sb, b)| {
            sb.cmp(sa).then_with(|| match sort {
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
        self.class_cursor = selected
            .and_then(|c| self.visible.iter().position(|&v| v == c))
            .unwrap_or(0);
    }

    fn list_len(&mut self) -> usize {
        match self.focus {
            Pane::Classes => self.visible.len(),
            Pane::Examples => self.examples().len(),
            Pane::Captions => self.caption_count(),
        }
    }

    pub fn caption_count(&mut self) -> usize {
        self.findings()
            .and_then(|f| f.captions.as_ref().map(|c| c.ranked.len()))
            .unwrap_or(0)
    }

    fn cursor(&mut self) -> &mut usize {
        match self.focus {
            Pane::Classes => &mut self.class_cursor,
            Pane::Examples => &mut self.example_cursor,
            Pane::Captions => &mut self.caption_cursor,
        }
    }

    fn move_cursor(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let len = self.list_len();
        let cursor = self.cursor();
        *cursor = if len == 0 {
            0
        } else {
            to(*cursor, len).min(len - 1)
        };
        if self.focus == Pane::Classes {
            self.example_cursor = 0;
            self.caption_cursor = 0;
        }
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        self.status = None;
        match (&self.mode, action) {
            (_, Action::Quit)
                if !matches!(
                    self.mode,
                    Mode::ExportPath(_) | Mode::Note | Mode::Caption | Mode::Search
                ) =>
            {
                self.quit = true
            }
            (Mode::Help, Action::ToggleHelp | Action::Back) => self.mode = Mode::Normal,
            (Mode::Help, _) => {}
            (Mode::ExportMenu, Action::Back) => self.mode = Mode::Normal,
            (Mode::ExportMenu, _) => {}
            (Mode::Normal, Action::ToggleHelp) => self.mode = Mode::Help,
            (Mode::Normal, Action::Up) => self.move_cursor(|c, _| c.saturating_sub(1)),
            (Mode::Normal, Action::Down) => self.move_cursor(|c, _| c + 1),
            (Mode::Normal, Action::PageUp) => {
                let page = self.page.max(1);
                self.move_cursor(|c, _| c.saturating_sub(page))
            }
            (Mode::Normal, Action::PageDown) => {
                let page = self.page.max(1);
                self.move_cursor(|c, _| c + page)
            }
            (Mode::Normal, Action::Top) => self.move_cursor(|_, _| 0),
            (Mode::Normal, Action::Bottom) => self.move_cursor(|_, len| len.saturating_sub(1)),
            (Mode::Normal, Action::NextPane) => self.focus = self.focus.step(true),
            (Mode::Normal, Action::PreviousPane) => self.focus = self.focus.step(false),
            (Mode::Normal, Action::Search) => {
                self.focus = Pane::Classes;
                self.mode = Mode::Search;
            }
            (Mode::Normal, Action::CycleSort) => {
                self.sort = match self.sort {
                    SortKey::Accuracy => SortKey::Strength,
                    SortKey::Strength => SortKey::Name,
                    SortKey::Name => SortKey::Accuracy,
                };
                self.refresh_visible();
                self.status = Some(format!("classes sorted by {}", self.sort.label()));
            }
            (Mode::Normal, Action::CycleOrder) => {
                self.order = match self.order {
                    Order::Hardest => Order::Easiest,
                    Order::Easiest if self.dataset.confidence.is_some() => Order::LeastConfident,
                    _ => Order::Hardest,
                };
                self.example_cursor = 0;
                self.status = Some(format!("examples: {}", self.order.label()));
            }
            (Mode::Normal, Action::ToggleGrid) => self.grid = !self.grid,
            (Mode::Normal, Action::Export) => self.mode = Mode::ExportMenu,
            (Mode::Normal, Action::CycleTriage) => self.cycle_triage(),
            (Mode::Normal, Action::TriageNote) => {
                if let Some(class) = self.selected_class() {
                    self.input = self
                        .triage
                        .get(&self.dataset.class_names[class as usize])
                        .map(|e| e.note.clone())
                        .unwrap_or_default();
                    self.mode = Mode::Note;
                }
            }
            (Mode::Normal, Action::TypeCaption) => {
                if self.caption_worker.is_none() {
                    self.status = Some(
                        "to score your own captions, start with --model DIR (a CLIP model folder)"
                            .into(),
                    );
                } else if self.selected_class().is_some() {
                    self.input = self
                        .typed
                        .as_ref()
                        .filter(|t| Some(t.class) == self.selected_class())
                        .map(|t| t.text.clone())
                        .unwrap_or_default();
                    self.mode = Mode::Caption;
                }
            }
            (Mode::Normal, Action::Back) => {
                if !self.query.is_empty() {
                    self.query.clear();
                    self.refresh_visible();
                }
                self.grid = false;
            }
            _ => {}
        }
    }

    /// Text typed while searching or in a prompt (keys that are not actions there).
    pub fn type_char(&mut self, c: char) {
        match self.mode {
            Mode::Search => {
                self.query.push(c);
                self.class_cursor = 0;
                self.refresh_visible();
            }
            Mode::ExportPath(_) | Mode::Note | Mode::Caption => self.input.push(c),
            Mode::ExportMenu => {
                if let Some(kind) = c
                    .to_digit(10)
                    .and_then(|d| ExportKind::ALL.get((d as usize).wrapping_sub(1)))
                {
                    self.input = default_export_path(*kind, self.selected_name());
                    self.mode = Mode::ExportPath(*kind);
                }
            }
            _ => {}
        }
    }

    pub fn backspace(&mut self) {
        match self.mode {
            Mode::Search => {
                self.query.pop();
                self.refresh_visible();
            }
            Mode::ExportPath(_) | Mode::Note | Mode::Caption => {
                self.input.pop();
            }
            _ => {}
        }
    }

    /// Enter: accept the search, write the export, save the note.
    pub fn confirm(&mut self) {
        match self.mode.clone() {
            Mode::Search => self.mode = Mode::Normal,
            Mode::ExportPath(kind) => {
                if let Some(class) = self.selected_class() {
                    self.pending_export = Some(ExportRequest {
                        kind,
                        class,
                        path: PathBuf::from(self.input.trim()),
                    });
                }
                self.mode = Mode::Normal;
            }
            Mode::Caption => {
                let text = self.input.trim().to_string();
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
                self.mode = Mode::Normal;
            }
            Mode::Note => {
                if let Some(class) = self.selected_class() {
                    let name = self.dataset.class_names[class as usize].clone();
                    let mark = self.triage.get(&name).and_then(|e| e.mark);
                    let note = self.input.trim().to_string();
                    let saved = if note.is_empty() {
                        format!("{name}: note cleared")
                    } else {
                        format!("{name}: note saved")
                    };
                    self.save_triage(
                        &name,
                        Entry {
                            mark,
                            note,
                            changed_ms: 0,
                        },
                    );
                    self.status.get_or_insert(saved);
                }
                self.mode = Mode::Normal;
            }
            _ => {}
        }
    }

    /// Esc in a text mode: leave it (a search keeps nothing).
    pub fn cancel(&mut self) {
        match self.mode {
            Mode::Search => {
                self.query.clear();
                self.refresh_visible();
                self.mode = Mode::Normal;
            }
            Mode::ExportPath(_) | Mode::Note | Mode::Caption | Mode::ExportMenu | Mode::Help => {
                self.mode = Mode::Normal
            }
            Mode::Normal => self.update(Action::Back),
        }
    }

    pub fn is_typing(&self) -> bool {
        matches!(
            self.mode,
            Mode::Search | Mode::ExportPath(_) | Mode::Note | Mode::Caption | Mode::ExportMenu
        )
    }

    pub fn selected_name(&self) -> &str {
        self.selected_class()
            .map(|c| self.dataset.class_names[c as usize].as_str())
            .unwrap_or("class")
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

    fn save_triage(&mut self, name: &str, entry: Entry) {
        if let Err(e) = self.triage.set(name, entry) {
            self.status = Some(format!("triage not saved: {e}"));
        }
    }

    /// Why the selected class has no ranking, for the examples pane.
    pub fn unavailable_reason(&mut self) -> Option<String> {
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
    }
}
