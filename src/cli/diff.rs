//! `faultline diff`: did the fix work? Two models' predictions on the same examples, compared
//! failure mode by failure mode of the model before the fix.

use super::{emit, guard_output, json_text, ColumnArgs, FitArgs, FormatArg, OutputArgs, UiArgs};
use crate::analysis::compare::{compare, CompareOptions, Comparison, Verdict};
use crate::analysis::Model;
use crate::data::captions::{load_caption_bank, CaptionBank};
use crate::data::pair::{load_columns, load_files, ModelColumns, Pair};
use crate::error::{Error, Result};
use crate::report::diff::{self as diff_report, ModelSource};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// One dataset holding both models' predictions (with --before and --after), or the dataset
    /// of the model before the fix, then the one after (rows matched by id)
    #[arg(required = true, num_args = 1..=2, value_name = "DATA")]
    pub inputs: Vec<PathBuf>,
    /// With one dataset: the column of the before model's predictions
    #[arg(long, value_name = "COL", help_heading = "Models")]
    pub before: Option<String>,
    /// With one dataset: the column of the after model's predictions
    #[arg(long, value_name = "COL", help_heading = "Models")]
    pub after: Option<String>,
    /// With one dataset: the before model's confidence column (none by default)
    #[arg(long, value_name = "COL", help_heading = "Models")]
    pub before_confidence: Option<String>,
    /// With one dataset: the after model's confidence column (none by default)
    #[arg(long, value_name = "COL", help_heading = "Models")]
    pub after_confidence: Option<String>,
    /// Caption bank, to name the modes and compare accuracy near each hard caption
    #[arg(long, value_name = "FILE")]
    pub captions: Option<PathBuf>,
    /// Exit 1 (after writing the result) when a mode gets one of these verdicts
    /// (comma-separated: regressed,new,persisting,weaker,fixed,not-a-finding)
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "VERDICTS",
        help_heading = "CI gates"
    )]
    pub fail_on: Vec<VerdictArg>,
    /// Print the comparison instead of opening the explorer (the default without a terminal)
    #[arg(long)]
    pub report: bool,
    #[command(flatten)]
    pub columns: ColumnArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub ui: UiArgs,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `--fail-on`'s verdicts, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerdictArg {
    Fixed,
    Weaker,
    Persisting,
    Regressed,
    New,
    NotAFinding,
}

impl From<VerdictArg> for Verdict {
    fn from(arg: VerdictArg) -> Verdict {
        match arg {
            VerdictArg::Fixed => Verdict::Fixed,
            VerdictArg::Weaker => Verdict::Weaker,
            VerdictArg::Persisting => Verdict::Persisting,
            VerdictArg::Regressed => Verdict::Regressed,
            VerdictArg::New => Verdict::New,
            VerdictArg::NotAFinding => Verdict::NotAFinding,
        }
    }
}

/// The verdicts JUnit marks as failures when no `--fail-on` is given.
const JUNIT_DEFAULT_FAIL_ON: [Verdict; 2] = [Verdict::Regressed, Verdict::New];

/// Both models fitted and compared, with what the reports say about where they came from.
pub struct Compared {
    pub pair: Pair,
    pub before: Model,
    pub after: Model,
    pub bank: Option<CaptionBank>,
    pub comparison: Comparison,
    pub sources: (ModelSource, ModelSource),
}

fn load_pair(args: &DiffArgs) -> Result<(Pair, (ModelSource, ModelSource))> {
    let options = args.columns.load_options();
    match args.inputs.as_slice() {
        [data] => {
            let (Some(before), Some(after)) = (&args.before, &args.after) else {
                return Err(Error::usage(
                    "with one dataset, name both models' prediction columns: --before COL --after COL (or give two datasets: faultline diff BEFORE AFTER)",
                ));
            };
            let before = ModelColumns {
                prediction: before.clone(),
                confidence: args.before_confidence.clone(),
            };
            let after = ModelColumns {
                prediction: after.clone(),
                confidence: args.after_confidence.clone(),
            };
            let source = |m: &ModelColumns| ModelSource {
                path: data.display().to_string(),
                prediction_column: m.prediction.clone(),
                confidence_column: m.confidence.clone(),
            };
            let sources = (source(&before), source(&after));
            Ok((load_columns(data, &options, &before, &after)?, sources))
        }
        [before, after] => {
            let given = [
                ("--before", &args.before),
                ("--after", &args.after),
                ("--before-confidence", &args.before_confidence),
                ("--after-confidence", &args.after_confidence),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, v)| v.is_some()) {
                return Err(Error::usage(format!(
                    "{flag} names a column of a single dataset; with two datasets each model's predictions are in --prediction-col ('{}') of its own file",
                    options.columns.prediction
                )));
            }
            let pair = load_files(before, after, &options)?;
            let source = |path: &PathBuf, d: &crate::data::Dataset| ModelSource {
                path: path.display().to_string(),
                prediction_column: options.columns.prediction.clone(),
                confidence_column: d
                    .confidence
                    .is_some()
                    .then(|| options.columns.confidence.clone()),
            };
            let sources = (source(before, &pair.before), source(after, &pair.after));
            Ok((pair, sources))
        }
        _ => Err(Error::usage(
            "diff takes one dataset (with --before and --after) or two",
        )),
    }
}

/// Loads, fits both models (each from its own cache) and compares them.
pub fn compared(args: &DiffArgs) -> Result<Compared> {
    // A bad --c-grid is a usage error before any file is read.
    args.fit.options()?;
    let (pair, sources) = load_pair(args)?;
    let bank = match &args.captions {
        Some(path) => Some(load_caption_bank(
            path,
            &pair.before.class_names,
            pair.before.dim(),
        )?),
        None => None,
    };
    compare_pair(pair, sources, bank, &args.fit, args.output.check_k)
}

/// Fits both models of a loaded pair (each from its own cache) and compares them.
pub fn compare_pair(
    pair: Pair,
    sources: (ModelSource, ModelSource),
    bank: Option<CaptionBank>,
    fit: &FitArgs,
    check_k: usize,
) -> Result<Compared> {
    let fit_options = fit.options()?;
    let use_cache = !fit.no_cache;
    let (before, _) = crate::storage::fit_cache::fit_cached(&pair.before, &fit_options, use_cache)?;
    let (after, _) = crate::storage::fit_cache::fit_cached(&pair.after, &fit_options, use_cache)?;
    let comparison = compare(
        &pair.before,
        &pair.after,
        &before,
        &after,
        &CompareOptions {
            bank: bank.as_ref(),
            check_k,
        },
    );
    Ok(Compared {
        pair,
        before,
        after,
        bank,
        comparison,
        sources,
    })
}

/// Writes the comparison in the asked format, then applies `--fail-on`.
pub fn render(
    output: &OutputArgs,
    compared: &Compared,
    fail_on: &[Verdict],
    started: std::time::Instant,
) -> Result<()> {
    let report = diff_report::report(
        &compared.comparison,
        &compared.pair.before.class_names,
        compared.pair.before.len(),
        compared.sources.clone(),
        fail_on,
    );
    let text = match output.format.unwrap_or(FormatArg::Table) {
        FormatArg::Json => json_text(&report)?,
        FormatArg::Table => diff_report::table(&report),
        FormatArg::Markdown => diff_report::markdown(&report),
        FormatArg::Html => crate::report::diff_html::render(&report),
        FormatArg::Junit => {
            let gate = if fail_on.is_empty() {
                &JUNIT_DEFAULT_FAIL_ON[..]
            } else {
                fail_on
            };
            crate::report::junit::render(&diff_report::junit_suite(
                &report,
                gate,
                started.elapsed().as_secs_f64(),
            ))
        }
    };
    emit(output, &text)?;
    gate(
        &compared.comparison,
        &compared.pair.before.class_names,
        fail_on,
    )
}

/// `--fail-on`: an error naming every class with a verdict in `fail_on`.
pub fn gate(comparison: &Comparison, names: &[String], fail_on: &[Verdict]) -> Result<()> {
    let failing = comparison.failing(fail_on);
    if failing.is_empty() {
        return Ok(());
    }
    let texts: Vec<String> = failing
        .iter()
        .map(|(class, verdicts)| {
            let verdicts: Vec<&str> = verdicts.iter().map(|v| v.name()).collect();
            format!(
                "{} {}",
                crate::text::visible(&names[*class as usize]),
                verdicts.join(" and ")
            )
        })
        .collect();
    Err(Error::Gate(texts.join("; ")))
}

pub fn diff_command(args: DiffArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let ui = args.ui.options()?;
    if let Some(out) = &args.output.out {
        let mut inputs: Vec<&std::path::Path> = args.inputs.iter().map(PathBuf::as_path).collect();
        inputs.extend(args.captions.as_deref());
        guard_output(out, &inputs)?;
    }
    let fail_on: Vec<Verdict> = args.fail_on.iter().copied().map(Verdict::from).collect();
    let scripted = args.report
        || args.output.out.is_some()
        || args.output.format.is_some()
        || !fail_on.is_empty()
        || !std::io::stdout().is_terminal();
    let compared = compared(&args)?;
    if scripted {
        return render(&args.output, &compared, &fail_on, started);
    }
    crate::ui::run_comparison(compared, ui)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_verdict_can_be_a_gate() {
        let mapped: Vec<Verdict> = VerdictArg::value_variants()
            .iter()
            .map(|v| Verdict::from(*v))
            .collect();
        for v in Verdict::ALL {
            assert!(mapped.contains(&v), "{v:?} cannot be named by --fail-on");
        }
        // The command line's name is the verdict's, dashed.
        for arg in VerdictArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name.replace('-', " "), Verdict::from(*arg).name());
        }
    }
}
