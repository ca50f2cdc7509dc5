//! The command line: clap definitions, and one function per subcommand.

pub(crate) mod diff;
pub mod embed;

use crate::analysis::direction::FitOptions;
use crate::analysis::findings::ranking_along;
use crate::analysis::findings::{all_findings, class_findings, shared_findings, FindingOptions};
use crate::analysis::intervene::{select_pool, training_weights, Target, WeightScheme};
use crate::analysis::modes::ModeOptions;
use crate::analysis::svm::{BiasMode, SvmParams};
use crate::analysis::{Along, Model};
use crate::data::captions::{load_caption_bank, CaptionBank};
use crate::data::{load_dataset, ColumnNames, Dataset, LoadOptions, Split};
use crate::demo::{self, DemoOptions};
use crate::error::{Error, Result};
use crate::files::{self, write_atomically};
use crate::report::{self, diff as diff_report, export, json};
use crate::storage::fit_cache::{fit_cached, CacheUse};
use crate::ui::config::Config;
use crate::ui::graphics::ProtocolChoice;
use crate::ui::theme::Theme;
use crate::ui::{Session, UiOptions};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const EXAMPLES: &str = "\
Examples:
  faultline data.parquet --captions captions.parquet   open the explorer
  faultline demo                                  the explorer on the built-in demo
  faultline demo --format table                   the demo's report, for scripts
  faultline demo --write demo/                    write the demo as Parquet + captions + PNGs
  faultline demo --diff                           the demo's retrained model against the first
  faultline report data.parquet --captions captions.parquet
  faultline report data.parquet --format json --out report.json
  faultline export data.parquet --class dog --hardest 100 --out dog_hard.csv
  faultline intervene data.parquet --weights soft --out weights.parquet
  faultline intervene data.parquet --select 200 --out to_label.csv
  faultline diff data.parquet --before prediction --after prediction_v2 --fail-on regressed,new
  faultline embed images --model clip/ --input predictions.csv --out data.parquet
  faultline embed captions --model clip/ --dataset data.parquet --out captions.parquet";

#[derive(Parser, Debug)]
#[command(
    name = "faultline",
    version,
    about = "Find, name and fix where a classifier fails (Jain et al., ICLR 2023)",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the explorer on a dataset (also: `faultline DATA`)
    #[command(
        after_help = "Examples:\n  faultline data.parquet --captions captions.parquet\n  faultline explore shards/ --theme light --image-protocol halfblocks"
    )]
    Explore(ExploreArgs),
    /// The built-in demo: a synthetic world with planted failure modes
    #[command(
        after_help = "Examples:\n  faultline demo\n  faultline demo --format markdown\n  faultline demo --diff\n  faultline demo --write demo/ && faultline report demo/demo.parquet --captions demo/captions.parquet"
    )]
    Demo(DemoArgs),
    /// Fit a failure direction per class and report it
    #[command(
        after_help = "Examples:\n  faultline report data.parquet --captions captions.parquet\n  faultline report shards/ --class dog --format json"
    )]
    Report(ReportArgs),
    /// Write a class's test rows ranked along its failure direction
    #[command(
        after_help = "Examples:\n  faultline export data.parquet --class dog --hardest 100 --out dog_hard.csv\n  faultline export data.parquet --class 3 --easiest 50 --out easy.parquet"
    )]
    Export(ExportArgs),
    /// Training weights or pool rows that target the failure modes
    #[command(
        after_help = "Examples:\n  faultline intervene data.parquet --weights soft --out weights.parquet\n  faultline intervene data.parquet --select 200 --out to_label.csv"
    )]
    Intervene(InterveneArgs),
    /// Did the fix work? Compare two models' failure modes: fixed, weaker, persisting,
    /// regressed, new
    #[command(
        after_help = "Exit codes: 0 done (gates passed), 1 a --fail-on gate failed, 2 bad input or usage, 3 the result could not be written.\n\nExamples:\n  faultline diff data.parquet --before prediction --after prediction_v2 --captions captions.parquet\n  faultline diff before.parquet after.parquet --format markdown --out diff.md\n  faultline diff data.parquet --before prediction --after prediction_v2 --fail-on regressed,new --format junit --out diff.xml\n  faultline demo --diff"
    )]
    Diff(diff::DiffArgs),
    /// Compute CLIP embeddings of images or captions with ONNX Runtime
    Embed(embed::EmbedArgs),
    /// What the explorer would use in this terminal (image protocol, tmux, cell size, colours,
    /// mouse) and why, then a test picture
    #[command(
        after_help = "Run it where the explorer shows no pictures, e.g. inside tmux over SSH.\n\nExamples:\n  faultline doctor\n  faultline doctor --image-protocol sixel"
    )]
    Doctor(DoctorArgs),
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The protocol to try (auto detects it as the explorer does)
    #[arg(long, value_enum, default_value = "auto")]
    pub image_protocol: ProtocolArg,
}

/// `--image-protocol`, as the command line names it (clap stays out of `ui`, as with
/// [`BiasArg`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolArg {
    Auto,
    Kitty,
    Sixel,
    Iterm2,
    Halfblocks,
    None,
}

impl From<ProtocolArg> for ProtocolChoice {
    fn from(arg: ProtocolArg) -> ProtocolChoice {
        match arg {
            ProtocolArg::Auto => ProtocolChoice::Auto,
            ProtocolArg::Kitty => ProtocolChoice::Kitty,
            ProtocolArg::Sixel => ProtocolChoice::Sixel,
            ProtocolArg::Iterm2 => ProtocolChoice::Iterm2,
            ProtocolArg::Halfblocks => ProtocolChoice::Halfblocks,
            ProtocolArg::None => ProtocolChoice::None,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Dataset: a Parquet file, an Arrow IPC file (.arrow/.feather) or a folder of Parquet shards
    pub data: PathBuf,
    #[command(flatten)]
    pub columns: ColumnArgs,
}

impl DataArgs {
    fn load(&self) -> Result<Dataset> {
        load_dataset(&self.data, &self.columns.load_options())
    }
}

/// How to read a dataset: its column names, its class names and the split made when it has none.
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// Class names, one per line (overrides names found in the data)
    #[arg(long, value_name = "FILE")]
    pub classes: Option<PathBuf>,
    /// Embeddings from NumPy instead of DATA's embedding column: an .npy (rows x dim,
    /// float16/32/64) or an .npz (its arrays `embeddings` and `ids`). DATA (CSV, Parquet or
    /// Arrow) then holds labels and predictions, matched by row order, or by its id column when
    /// the embeddings' ids are given (FILE.ids.npy beside an .npy)
    #[arg(long, value_name = "FILE")]
    pub embeddings: Option<PathBuf>,
    /// Seed of the val/test split made when the data has no split column
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    #[arg(
        long,
        default_value = "embedding",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub embedding_col: String,
    #[arg(
        long,
        default_value = "label",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub label_col: String,
    #[arg(
        long,
        default_value = "prediction",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub prediction_col: String,
    #[arg(
        long,
        default_value = "correct",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub correct_col: String,
    #[arg(
        long,
        default_value = "split",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub split_col: String,
    #[arg(
        long,
        default_value = "confidence",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub confidence_col: String,
    #[arg(
        long,
        default_value = "image",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub image_col: String,
    #[arg(
        long,
        default_value = "id",
        value_name = "NAME",
        help_heading = "Columns"
    )]
    pub id_col: String,
}

impl ColumnArgs {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            columns: ColumnNames {
                embedding: self.embedding_col.clone(),
                label: self.label_col.clone(),
                prediction: self.prediction_col.clone(),
                correct: self.correct_col.clone(),
                split: self.split_col.clone(),
                confidence: self.confidence_col.clone(),
                image: self.image_col.clone(),
                id: self.id_col.clone(),
            },
            classes_file: self.classes.clone(),
            split_seed: self.split_seed,
            embeddings_file: self.embeddings.clone(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct FitArgs {
    /// Values of C to cross-validate, comma-separated
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1e-6,1e-5,1e-4,1e-3,1e-2,1e-1,1",
        help_heading = "Fitting"
    )]
    pub c_grid: Vec<f64>,
    /// Cross-validation folds
    #[arg(long, default_value_t = 2, help_heading = "Fitting")]
    pub folds: usize,
    /// random_state of the folds, assigned as scikit-learn's StratifiedKFold(shuffle=True) does
    #[arg(long, default_value_t = 0, help_heading = "Fitting")]
    pub seed: u32,
    /// Solver tolerance (scikit-learn's tol)
    #[arg(long, default_value_t = 1e-4, help_heading = "Fitting")]
    pub tol: f64,
    /// Solver iteration limit
    #[arg(long, default_value_t = 1000, help_heading = "Fitting")]
    pub max_iter: usize,
    /// False discovery rate: a mode is a finding when its Benjamini-Hochberg q-value, over
    /// every test of the dataset, is below this
    #[arg(long, default_value_t = 0.05, help_heading = "Failure modes")]
    pub alpha: f64,
    /// The fewest test errors a mode's hard side must hold to be a finding
    #[arg(long, default_value_t = 5, help_heading = "Failure modes")]
    pub min_support: usize,
    /// The most failure modes per class (1: the paper's single direction only)
    #[arg(long, default_value_t = 3, help_heading = "Failure modes")]
    pub max_modes: usize,
    /// The most failure modes shared across classes to look for (0: none)
    #[arg(long, default_value_t = 4, help_heading = "Failure modes")]
    pub max_shared: usize,
    /// How the SVM treats its intercept: regularized (liblinear, LinearSVC) or free (libsvm,
    /// SVC(kernel="linear"), the reference implementation's choice)
    #[arg(long, value_enum, default_value_t = BiasArg::Regularized, help_heading = "Fitting")]
    pub svm_bias: BiasArg,
    /// Fit afresh and leave the cache alone
    #[arg(long, help_heading = "Fitting")]
    pub no_cache: bool,
}

/// `--weights`: the training-weight schemes, as the command line names them (clap stays out of
/// `analysis`, as with [`BiasArg`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WeightArg {
    Soft,
    DoubleWhereNegative,
    Balanced,
}

impl From<WeightArg> for WeightScheme {
    fn from(arg: WeightArg) -> WeightScheme {
        match arg {
            WeightArg::Soft => WeightScheme::Soft,
            WeightArg::DoubleWhereNegative => WeightScheme::DoubleWhereNegative,
            WeightArg::Balanced => WeightScheme::Balanced,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BiasArg {
    Regularized,
    Free,
}

impl FitArgs {
    fn options(&self) -> Result<FitOptions> {
        let mut grid = self.c_grid.clone();
        if grid.iter().any(|c| !(*c > 0.0 && c.is_finite())) {
            return Err(Error::usage("--c-grid values must be positive and finite"));
        }
        grid.sort_by(f64::total_cmp);
        grid.dedup();
        if self.folds < 2 {
            return Err(Error::usage("--folds must be at least 2"));
        }
        if self.tol.is_nan() || self.tol <= 0.0 || self.max_iter == 0 {
            return Err(Error::usage(
                "--tol must be positive and --max-iter at least 1",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::usage("--alpha must be between 0 and 1"));
        }
        if self.max_modes == 0 {
            return Err(Error::usage(
                "--max-modes must be at least 1 (the paper's direction)",
            ));
        }
        Ok(FitOptions {
            c_grid: grid,
            folds: self.folds,
            seed: self.seed,
            svm: SvmParams {
                tol: self.tol,
                max_iter: self.max_iter,
                bias: match self.svm_bias {
                    BiasArg::Regularized => BiasMode::Regularized,
                    BiasArg::Free => BiasMode::Free,
                },
                ..SvmParams::default()
            },
            modes: ModeOptions {
                max_modes: self.max_modes,
                min_support: self.min_support,
                alpha: self.alpha,
                max_shared: self.max_shared,
                ..ModeOptions::default()
            },
        })
    }

    fn fit(&self, dataset: &Dataset) -> Result<(Model, CacheUse)> {
        fit_cached(dataset, &self.options()?, !self.no_cache)
    }
}

/// `--format`: how a report is written (clap stays out of `report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Aligned text for a terminal
    Table,
    /// The documented JSON schema
    Json,
    /// Markdown, to paste into an issue or a pull request
    Markdown,
    /// JUnit XML, one test case per class, for CI systems to render
    Junit,
    /// One self-contained HTML page with thumbnails and charts, to share (no network needed)
    Html,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Report format (default: table)
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the report here instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Hardest and easiest test rows per class in the report
    #[arg(long, default_value_t = 10)]
    pub top_rows: usize,
    /// Hard and easy captions per class in the report
    #[arg(long, default_value_t = 5)]
    pub top_captions: usize,
    /// K of the check: accuracy of the K test images nearest each caption
    #[arg(long, default_value_t = 50)]
    pub check_k: usize,
}

#[derive(Args, Debug, Clone)]
pub struct UiArgs {
    /// Colour theme: dark, light, high-contrast, or a theme file
    #[arg(long, value_name = "NAME|FILE", help_heading = "Explorer")]
    pub theme: Option<String>,
    /// How to draw images (auto detects the terminal's protocol once at start-up)
    #[arg(long, value_enum, help_heading = "Explorer")]
    pub image_protocol: Option<ProtocolArg>,
    /// Config file with theme, image protocol and key bindings
    /// (default: ~/.config/faultline/config.toml when present)
    #[arg(long, value_name = "FILE", help_heading = "Explorer")]
    pub config: Option<PathBuf>,
}

impl UiArgs {
    fn options(&self) -> Result<UiOptions> {
        let config = Config::load(self.config.as_deref())?;
        let source = self
            .config
            .clone()
            .or_else(crate::ui::config::default_path)
            .unwrap_or_default();
        let keymap = config.keymap(&source)?;
        let theme = Theme::load(
            self.theme
                .as_deref()
                .or(config.theme.as_deref())
                .unwrap_or("dark"),
        )?;
        let image_protocol = match (self.image_protocol, &config.image_protocol) {
            (Some(choice), _) => choice.into(),
            (None, Some(name)) => ProtocolChoice::parse(name).ok_or_else(|| {
                Error::input(
                    &source,
                    format!(
                        "image_protocol '{}': use auto, kitty, sixel, iterm2, halfblocks or none",
                        crate::text::visible(name)
                    ),
                )
            })?,
            (None, None) => ProtocolChoice::Auto,
        };
        Ok(UiOptions {
            theme,
            keymap,
            image_protocol,
        })
    }
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Caption bank (Parquet/Arrow with text, embedding and optional class)
    #[arg(long, value_name = "FILE")]
    pub captions: Option<PathBuf>,
    #[command(flatten)]
    pub model: Option<embed::TextModelArgs>,
    #[command(flatten)]
    pub ui: UiArgs,
    #[command(flatten)]
    pub fit: FitArgs,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Write the demo as Parquet, a caption bank and PNG thumbnails into this folder
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Print the report instead of opening the explorer (the default without a terminal)
    #[arg(long)]
    pub report: bool,
    /// Compare the demo's retrained model (one failure fixed, one weaker, one worse, one new)
    /// with the first, as `faultline diff` does
    #[arg(long, conflicts_with = "write")]
    pub diff: bool,
    /// With --diff: exit 1 when a mode gets one of these verdicts
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "VERDICTS",
        requires = "diff"
    )]
    pub fail_on: Vec<diff::VerdictArg>,
    #[command(flatten)]
    pub ui: UiArgs,
    /// Seed of the synthetic world
    #[arg(long, default_value_t = 7)]
    pub demo_seed: u64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub fit: FitArgs,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Caption bank (Parquet/Arrow with text, embedding and optional class)
    #[arg(long, value_name = "FILE")]
    pub captions: Option<PathBuf>,
    /// Only these classes (name or index; repeatable)
    #[arg(long = "class", id = "only_class", value_name = "NAME")]
    pub only_classes: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Exit 1 (after writing the report) when a class has a significant failure mode whose
    /// gap, accuracy on its easy side minus on its hard side, exceeds X percentage points
    #[arg(long, value_name = "X", help_heading = "CI gates")]
    pub fail_on_gap: Option<f64>,
    #[command(flatten)]
    pub fit: FitArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The class (name or index)
    #[arg(long)]
    pub class: String,
    /// Rank along the class's failure mode K (1: the paper's direction; the report lists them)
    #[arg(long, value_name = "K", default_value_t = 1, conflicts_with = "shared")]
    pub mode: usize,
    /// Rank along shared failure mode K (the report lists them) instead of a class's own mode
    #[arg(long, value_name = "K")]
    pub shared: Option<usize>,
    /// The K hardest test rows (most negative decision value first)
    #[arg(long, value_name = "K", conflicts_with = "easiest")]
    pub hardest: Option<usize>,
    /// The K easiest test rows (most positive first)
    #[arg(long, value_name = "K")]
    pub easiest: Option<usize>,
    /// Output file: .csv or .parquet
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub fit: FitArgs,
}

#[derive(Args, Debug)]
pub struct InterveneArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Per-example weights for the train rows: soft, double-where-negative or balanced
    #[arg(long, value_enum, value_name = "SCHEME", conflicts_with = "select")]
    pub weights: Option<WeightArg>,
    /// The K pool rows per class most aligned with its failure direction
    #[arg(long, value_name = "K")]
    pub select: Option<usize>,
    /// Aim at one class's modes only (every mode that is a finding, or the one --mode names)
    #[arg(long, value_name = "NAME")]
    pub class: Option<String>,
    /// With --class: aim at its failure mode K only (1: the paper's direction)
    #[arg(long, value_name = "K", requires = "class")]
    pub mode: Option<usize>,
    /// Aim at shared failure mode K, in every class it hurts
    #[arg(long, value_name = "K", conflicts_with = "class")]
    pub shared: Option<usize>,
    /// Output file: .csv or .parquet
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub fit: FitArgs,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Explore(args) => explore_command(args),
        Command::Demo(args) => demo_command(args),
        Command::Report(args) => report_command(args),
        Command::Export(args) => export_command(args),
        Command::Intervene(args) => intervene_command(args),
        Command::Diff(args) => diff::diff_command(args),
        Command::Embed(args) => embed::embed_command(args),
        Command::Doctor(args) => crate::ui::doctor::run(args.image_protocol.into()),
    }
}

/// Fails before any work when the output cannot be written: its folder is missing, it would
/// overwrite an input, or it would land inside an input folder (a shard folder would then
/// hold it, and the next run would read it as data).
fn guard_output(out: &Path, inputs: &[&Path]) -> Result<()> {
    let folder = files::output_folder(out)?.canonicalize().ok();
    let out_canonical = out.canonicalize().ok();
    for input in inputs {
        let input_canonical = input.canonicalize().ok();
        if out_canonical.is_some() && input_canonical == out_canonical {
            return Err(Error::usage(format!(
                "{}: the output would overwrite an input",
                out.display()
            )));
        }
        if let (Some(folder), Some(input_dir)) = (&folder, &input_canonical) {
            if input.is_dir() && folder.starts_with(input_dir) {
                return Err(Error::usage(format!(
                    "{}: the output would be written inside the input folder {}, which the next \
                     run would read with it; write it elsewhere",
                    out.display(),
                    input.display()
                )));
            }
        }
    }
    Ok(())
}

fn emit(output: &OutputArgs, text: &str) -> Result<()> {
    match &output.out {
        Some(path) => write_atomically(path, |f| f.write_all(text.as_bytes())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is the reader's choice, not a failure (as ripgrep).
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::Stdout(e)),
                Ok(()) => Ok(()),
            }
        }
    }
}

/// Writes the report in the asked format, then applies `--fail-on-gap` (after the output, so
/// CI keeps the report of a failed gate).
#[allow(clippy::too_many_arguments)]
fn render(
    output: &OutputArgs,
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    classes: Option<&[u32]>,
    cache: CacheUse,
    fail_on_gap: Option<f64>,
    started: std::time::Instant,
) -> Result<()> {
    let options = FindingOptions {
        top_rows: output.top_rows,
        top_captions: output.top_captions,
        check_k: output.check_k,
    };
    let findings = all_findings(dataset, model, bank, classes, &options);
    let shared = shared_findings(dataset, model, bank, &options);
    let report = json::report(
        dataset,
        model,
        bank,
        &findings,
        &shared,
        cache == CacheUse::Hit,
        &options,
    );
    let text = match output.format.unwrap_or(FormatArg::Table) {
        FormatArg::Json => json_text(&report)?,
        FormatArg::Table => report::table::render(&report),
        FormatArg::Markdown => report::markdown::render(&report),
        FormatArg::Junit => report::junit::render(&report::gate::junit_suite(
            &report,
            fail_on_gap.unwrap_or(0.0),
            started.elapsed().as_secs_f64(),
        )),
        FormatArg::Html => report::html::page(
            &report,
            &crate::ui::triage::Triage::load(dataset).html_marks(),
        ),
    };
    emit(output, &text)?;
    if let Some(max_points) = fail_on_gap {
        let breaches = report::gate::gap_breaches(&report, max_points);
        if !breaches.is_empty() {
            let texts: Vec<String> = breaches.iter().map(|b| b.text(max_points)).collect();
            return Err(Error::Gate(texts.join("; ")));
        }
    }
    Ok(())
}

/// Pretty JSON with a final newline, safe to print to a terminal.
fn json_text(value: &impl serde::Serialize) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))?;
    s.push('\n');
    Ok(crate::text::json_for_terminal(s))
}

fn demo_command(args: DemoArgs) -> Result<()> {
    let started = std::time::Instant::now();
    // A bad --config or --theme is an error in every mode, not only when the explorer opens.
    let ui = args.ui.options()?;
    let mut world = demo::generate(&DemoOptions {
        seed: args.demo_seed,
        ..DemoOptions::default()
    });
    if let Some(dir) = &args.write {
        demo::write_demo(&world, dir)?;
        crate::text::message(&format!(
            "wrote {} and {} with thumbnails under {}",
            demo::write::DATASET_FILE,
            demo::write::CAPTIONS_FILE,
            dir.display(),
        ));
        let data = dir.join(demo::write::DATASET_FILE);
        let captions = dir.join(demo::write::CAPTIONS_FILE);
        crate::text::message(&format!(
            "next: faultline report {} --captions {}",
            data.display(),
            captions.display()
        ));
        crate::text::message(&format!(
            "  or: faultline diff {} --before prediction --before-confidence confidence --after {} --after-confidence {} --captions {}",
            data.display(),
            demo::write::AFTER_PREDICTION,
            demo::write::AFTER_CONFIDENCE,
            captions.display()
        ));
        return Ok(());
    }
    let scripted = args.report
        || args.output.out.is_some()
        || args.output.format.is_some()
        || !args.fail_on.is_empty()
        || !std::io::stdout().is_terminal();
    if args.diff {
        return demo_diff(args, world, ui, scripted, started);
    }
    // The HTML page shows the demo's pictures: the same thumbnails the explorer draws.
    if args.output.format == Some(FormatArg::Html) {
        if let Some(dir) = crate::storage::demo_thumbnails_dir(args.demo_seed) {
            if let Err(e) = demo::write::materialise_thumbnails(&mut world, &dir) {
                crate::text::message(&format!(
                    "warning: demo thumbnails not written ({e}); the page will show placeholders"
                ));
            }
        }
    }
    if scripted {
        let (model, cache) = args.fit.fit(&world.dataset)?;
        return render(
            &args.output,
            &world.dataset,
            &model,
            Some(&world.captions),
            None,
            cache,
            None,
            started,
        );
    }
    // The explorer shows thumbnails: keep them in the cache folder, drawn once.
    if let Some(dir) = crate::storage::demo_thumbnails_dir(args.demo_seed) {
        if let Err(e) = demo::write::materialise_thumbnails(&mut world, &dir) {
            crate::text::message(&format!(
                "warning: demo thumbnails not written ({e}); previews will be empty"
            ));
        }
    }
    // Typed captions (key c) in the demo's own vocabulary, no CLIP model needed.
    let text = world.text.clone();
    let text_model: crate::ui::typed_caption::OpenEmbedder = Box::new(move || {
        let embed: crate::ui::typed_caption::Embedder =
            Box::new(move |texts: &[String]| text.embed_all(texts));
        Ok(embed)
    });
    let session = Session {
        dataset: Arc::new(world.dataset),
        bank: Some(Arc::new(world.captions)),
        fit_options: args.fit.options()?,
        use_cache: !args.fit.no_cache,
        text_model: Some(text_model),
        fitted: None,
        comparison: None,
    };
    crate::ui::run(session, ui)
}

/// `demo --diff`: the demo's model before and after its retraining, as `faultline diff` shows
/// two models.
fn demo_diff(
    args: DemoArgs,
    mut world: demo::Demo,
    ui: UiOptions,
    scripted: bool,
    started: std::time::Instant,
) -> Result<()> {
    if !scripted {
        // The comparison screen previews the before model's rows: the same thumbnails.
        if let Some(dir) = crate::storage::demo_thumbnails_dir(args.demo_seed) {
            if let Err(e) = demo::write::materialise_thumbnails(&mut world, &dir) {
                crate::text::message(&format!(
                    "warning: demo thumbnails not written ({e}); previews will be empty"
                ));
            }
            world.after.images.clone_from(&world.dataset.images);
        }
    }
    let source = |prediction: &str, confidence: &str| diff_report::ModelSource {
        path: "demo".to_string(),
        prediction_column: prediction.to_string(),
        confidence_column: Some(confidence.to_string()),
    };
    let sources = (
        source("prediction", "confidence"),
        source(demo::write::AFTER_PREDICTION, demo::write::AFTER_CONFIDENCE),
    );
    let pair = crate::data::pair::Pair {
        before: world.dataset,
        after: world.after,
    };
    let compared = diff::compare_pair(
        pair,
        sources,
        Some(world.captions),
        &args.fit,
        args.output.check_k,
    )?;
    if scripted {
        let fail_on: Vec<_> = args.fail_on.iter().copied().map(Into::into).collect();
        return diff::render(&args.output, &compared, &fail_on, started);
    }
    crate::ui::run_comparison(compared, ui)
}

fn explore_command(args: ExploreArgs) -> Result<()> {
    let ui = args.ui.options()?;
    let fit_options = args.fit.options()?;
    if let Some(model) = &args.model {
        // Fail now, not after the explorer opens, when the folder lacks the text tower.
        crate::embed::model::ModelFiles::discover(
            &model.model_dir,
            crate::embed::model::Towers::Text,
        )?;
    }
    let dataset = args.data.load()?;
    let bank = match &args.captions {
        Some(path) => Some(Arc::new(load_caption_bank(
            path,
            &dataset.class_names,
            dataset.dim(),
        )?)),
        None => None,
    };
    let session = Session {
        dataset: Arc::new(dataset),
        bank,
        fit_options,
        use_cache: !args.fit.no_cache,
        text_model: args.model.map(embed::open_text_model),
        fitted: None,
        comparison: None,
    };
    crate::ui::run(session, ui)
}

/// `faultline DATA ...` means `faultline explore DATA ...`.
pub fn normalise_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        // The subcommands clap knows (a new one needs no second list here), and `help`.
        let command = first == "help"
            || Cli::command()
                .get_subcommands()
                .any(|c| c.get_name() == first);
        if !first.starts_with('-') && !command {
            args.insert(1, "explore".into());
        }
    }
    args
}

fn resolve_class(dataset: &Dataset, name: &str) -> Result<u32> {
    dataset.class_index(name).ok_or_else(|| {
        let shown: Vec<&str> = dataset
            .class_names
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        Error::usage(format!(
            "unknown class '{name}'; classes are: {}{}",
            shown.join(", "),
            if dataset.num_classes() > 10 {
                ", ..."
            } else {
                ""
            }
        ))
    })
}

fn report_command(args: ReportArgs) -> Result<()> {
    let started = std::time::Instant::now();
    if args
        .fail_on_gap
        .is_some_and(|x| !(0.0..=100.0).contains(&x))
    {
        return Err(Error::usage(
            "--fail-on-gap takes percentage points between 0 and 100",
        ));
    }
    if let Some(out) = &args.output.out {
        let mut inputs = vec![args.data.data.as_path()];
        inputs.extend(args.captions.as_deref());
        guard_output(out, &inputs)?;
    }
    let dataset = args.data.load()?;
    let classes: Vec<u32> = args
        .only_classes
        .iter()
        .map(|name| resolve_class(&dataset, name))
        .collect::<Result<_>>()?;
    let bank = match &args.captions {
        Some(path) => Some(load_caption_bank(
            path,
            &dataset.class_names,
            dataset.dim(),
        )?),
        None => None,
    };
    let (model, cache) = args.fit.fit(&dataset)?;
    let selected = (!classes.is_empty()).then_some(classes.as_slice());
    render(
        &args.output,
        &dataset,
        &model,
        bank.as_ref(),
        selected,
        cache,
        args.fail_on_gap,
        started,
    )
}

fn export_command(args: ExportArgs) -> Result<()> {
    export::FileKind::of(&args.out)?;
    guard_output(&args.out, &[&args.data.data])?;
    let (k, hardest_first) = match (args.hardest, args.easiest) {
        (Some(k), None) => (k, true),
        (None, Some(k)) => (k, false),
        _ => return Err(Error::usage("give --hardest K or --easiest K")),
    };
    if args.mode == 0 || args.shared == Some(0) {
        return Err(Error::usage("modes are counted from 1"));
    }
    let dataset = args.data.load()?;
    let class = resolve_class(&dataset, &args.class)?;
    let (model, _) = args.fit.fit(&dataset)?;
    let name = dataset.class_names[class as usize].clone();
    let (along, what) = match args.shared {
        Some(s) => (Along::Shared(s - 1), format!("shared mode {s}")),
        None => (Along::Mode(args.mode - 1), format!("mode {}", args.mode)),
    };
    let why_not = |reason: String| {
        Error::usage(format!(
            "class '{name}' has no ranking along {what}: {reason}"
        ))
    };
    match along {
        Along::Mode(p) => {
            if let crate::analysis::direction::Outcome::Skipped { reason } =
                &model.classes[class as usize].outcome
            {
                return Err(why_not(reason.clone()));
            }
            let modes = model.modes(class).len();
            if p >= modes {
                return Err(why_not(format!(
                    "it has {modes} mode{} (faultline report lists them)",
                    if modes == 1 { "" } else { "s" }
                )));
            }
        }
        Along::Shared(p) => {
            let shared = model.assessment.shared.len();
            if p >= shared {
                return Err(why_not(format!(
                    "the dataset has {shared} shared mode{}",
                    if shared == 1 { "" } else { "s" }
                )));
            }
        }
    }
    let mut ranked = ranking_along(&dataset, &model, class, along).unwrap_or_default();
    if ranked.is_empty() {
        return Err(why_not("it has no test rows".into()));
    }
    let spread = {
        let n = ranked.len() as f64;
        let mean = ranked.iter().map(|r| r.decision_value).sum::<f64>() / n;
        let var = ranked
            .iter()
            .map(|r| (r.decision_value - mean).powi(2))
            .sum::<f64>()
            / n;
        (var > 0.0 && var.is_finite()).then(|| var.sqrt())
    };
    if !hardest_first {
        ranked.reverse();
    }
    ranked.truncate(k);
    export::write_batch(&args.out, &export::ranked_rows(&dataset, &ranked, spread)?)?;
    crate::text::message(&format!(
        "wrote {} {} test rows of '{}' along {what} to {}",
        ranked.len(),
        if hardest_first { "hardest" } else { "easiest" },
        name,
        args.out.display()
    ));
    if let Along::Mode(p) = along {
        let findings = class_findings(&dataset, &model, None, class, &FindingOptions::default());
        for caveat in findings
            .mode(p)
            .map(|m| m.caveats.as_slice())
            .unwrap_or(&[])
        {
            crate::text::message(&format!("warning: '{name}' {what}: {}", caveat.text));
        }
    }
    Ok(())
}

fn intervene_command(args: InterveneArgs) -> Result<()> {
    if args.weights.is_none() && args.select.is_none() {
        return Err(Error::usage(
            "intervene needs --weights SCHEME (a weight for every train row: soft, double-where-negative or balanced) or --select K (the K pool rows per class most aligned with its failure direction, to label)",
        ));
    }
    export::FileKind::of(&args.out)?;
    guard_output(&args.out, &[&args.data.data])?;
    if args.mode == Some(0) || args.shared == Some(0) {
        return Err(Error::usage("modes are counted from 1"));
    }
    let scheme = args.weights.map(WeightScheme::from);
    let dataset = args.data.load()?;
    let target = match (&args.class, args.mode, args.shared) {
        (_, _, Some(s)) => Target::Shared(s - 1),
        (Some(name), Some(k), None) => Target::ClassMode {
            class: resolve_class(&dataset, name)?,
            position: k - 1,
        },
        (Some(name), None, None) => Target::Class(resolve_class(&dataset, name)?),
        (None, _, None) => Target::Findings,
    };
    let (model, _) = args.fit.fit(&dataset)?;
    let aimed = match target {
        Target::Shared(s) if s >= model.assessment.shared.len() => Some(format!(
            "the dataset has {} shared modes (faultline report lists them)",
            model.assessment.shared.len()
        )),
        Target::ClassMode { class, position } if position >= model.modes(class).len() => {
            Some(format!(
                "class '{}' has {} modes (faultline report lists them)",
                dataset.class_names[class as usize],
                model.modes(class).len()
            ))
        }
        _ => None,
    };
    if let Some(why) = aimed {
        return Err(Error::usage(why));
    }
    if let Some(scheme) = scheme {
        let weights = training_weights(&dataset, &model, scheme, target);
        if weights.is_empty() {
            return Err(Error::input(
                &dataset.source,
                "has no labelled train rows to weight",
            ));
        }
        export::write_batch(&args.out, &export::weights(&dataset, &weights)?)?;
        crate::text::message(&format!(
            "wrote {} {} weights for train rows to {}",
            weights.len(),
            scheme.name(),
            args.out.display()
        ));
    } else if let Some(k) = args.select {
        let pool = dataset.split_counts()[Split::Pool as usize];
        if pool == 0 {
            return Err(Error::input(
                &dataset.source,
                "has no rows in the 'pool' split to select from",
            ));
        }
        let selected = select_pool(&dataset, &model, k, target);
        export::write_batch(&args.out, &export::selection(&dataset, &selected)?)?;
        crate::text::message(&format!(
            "wrote {} pool rows ({} per targeted failure mode) to {}",
            selected.len(),
            k,
            args.out.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// The command line's names are the layers' own: a value clap accepts reaches the same
    /// choice as the config file's spelling of it.
    #[test]
    fn command_line_enums_map_to_the_layers_choices() {
        for arg in ProtocolArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(
                ProtocolChoice::parse(&name),
                Some(ProtocolChoice::from(*arg))
            );
        }
        assert_eq!(
            ProtocolArg::value_variants().len(),
            ProtocolChoice::ALL.len()
        );
        assert_eq!(ProtocolChoice::parse(" SIXEL"), Some(ProtocolChoice::Sixel));
        assert_eq!(ProtocolChoice::parse("ascii"), None);
    }
}
