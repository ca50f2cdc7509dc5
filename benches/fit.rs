//! Bench binary: the full fitting protocol (standardise, per-class 2-fold CV over the 7-value C
//! grid, refit; then the further modes, the shared modes and the tests on held-out rows) on a
//! dataset file, timed without loading. Prints one JSON line, like bench/peers.py, so
//! bench/run.sh and bench/modes.sh can put them side by side.
//!
//! cargo bench --bench fit -- DATA.parquet [--repeat N] [--bias regularized|free]
//!     [--max-modes N] [--max-shared N] [--label NAME] [--shared-pass]
//!
//! `--max-modes 1 --max-shared 0` is the paper's single direction per class (with its test);
//! `--shared-pass` times only the search for modes shared across classes and their tests.
//!
//! cargo bench --bench fit -- --write-two-modes OUT.parquet
//!
//! writes a CelebA-shaped planted world (2 classes x 20,000 val and test rows, 512 dims): one
//! class fails in two independent ways, the other in one, so the splits are found and timed.

use faultline::analysis::assess::{assess, ClassDirections};
use faultline::analysis::direction::{FitOptions, Outcome};
use faultline::analysis::preprocess::Standardizer;
use faultline::analysis::shared::propose_shared;
use faultline::analysis::svm::BiasMode;
use faultline::analysis::{fit_model, statistics_rows};
use faultline::data::{load_dataset, LoadOptions};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(at) = args.iter().position(|a| a == "--write-two-modes") {
        write_two_modes(&args[at + 1]);
        return;
    }
    let Some(path) = args.first() else {
        eprintln!(
            "usage: cargo bench --bench fit -- DATA.parquet [--repeat N] [--bias regularized|free]"
        );
        std::process::exit(2);
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let repeat: usize = flag("--repeat").and_then(|v| v.parse().ok()).unwrap_or(3);
    let bias = match flag("--bias").map(String::as_str) {
        Some("free") => BiasMode::Free,
        _ => BiasMode::Regularized,
    };
    let start = Instant::now();
    let dataset = load_dataset(path.as_ref(), &LoadOptions::default()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let load_seconds = start.elapsed().as_secs_f64();
    let mut options = FitOptions::default();
    options.svm.bias = bias;
    if let Some(n) = flag("--max-modes").and_then(|v| v.parse().ok()) {
        options.modes.max_modes = n;
    }
    if let Some(n) = flag("--max-shared").and_then(|v| v.parse().ok()) {
        options.modes.max_shared = n;
    }
    let label = flag("--label").cloned().unwrap_or_else(|| {
        match bias {
            BiasMode::Regularized => "faultline-regularized",
            BiasMode::Free => "faultline-free",
        }
        .to_string()
    });
    if args.iter().any(|a| a == "--shared-pass") {
        shared_pass(&dataset, &options, repeat, &label);
        return;
    }
    let mut times = Vec::new();
    let mut model = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        model = Some(fit_model(&dataset, &options).expect("fit"));
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let model = model.expect("at least one run");
    let classes: Vec<String> = model
        .classes
        .iter()
        .map(|c| match &c.outcome {
            Outcome::Fitted(d) => format!(
                "{{\"class\": {}, \"c\": {}, \"cv_balanced_accuracy\": {}, \"converged\": {}}}",
                c.class, d.c, d.cv_balanced_accuracy, d.converged
            ),
            Outcome::Skipped { reason } => {
                format!("{{\"class\": {}, \"skipped\": {:?}}}", c.class, reason)
            }
        })
        .collect();
    let modes: usize = (0..model.classes.len() as u32)
        .map(|c| {
            model
                .modes(c)
                .iter()
                .filter(|m| m.evidence.significant)
                .count()
        })
        .sum();
    println!(
        "{{\"solver\": \"{label}\", \"seconds\": {}, \"runs\": {:?}, \"load_seconds\": {}, \"threads\": {}, \"max_modes\": {}, \"max_shared\": {}, \"significant_modes\": {modes}, \"shared_modes\": {}, \"hypotheses\": {}, \"classes\": [{}]}}",
        times[times.len() / 2],
        times,
        load_seconds,
        rayon::current_num_threads(),
        options.modes.max_modes,
        options.modes.max_shared,
        model.assessment.shared.len(),
        model.assessment.hypotheses,
        classes.join(", ")
    );
}

/// Times the shared-mode search (from val rows) and the tests of what it proposes (on test
/// rows), with the standardisation fitted beforehand and not counted.
fn shared_pass(
    dataset: &faultline::data::Dataset,
    options: &FitOptions,
    repeat: usize,
    label: &str,
) {
    let (split, rows) = statistics_rows(dataset).expect("statistics rows");
    let standardizer = Standardizer::fit(&dataset.embeddings, &rows, split);
    dataset.rows_by_class(faultline::data::Split::Val);
    let none: Vec<ClassDirections> = (0..dataset.num_classes())
        .map(|_| ClassDirections {
            first: None,
            candidates: &[],
        })
        .collect();
    let mut times = Vec::new();
    let mut found = (0, 0);
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let proposed = propose_shared(
            dataset,
            &standardizer,
            options.modes.max_shared,
            options.seed as u64,
        );
        let judged = assess(dataset, &standardizer, &none, &proposed, &options.modes);
        times.push(start.elapsed().as_secs_f64());
        found = (proposed.len(), judged.shared.len());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"solver\": \"{label}\", \"seconds\": {}, \"runs\": {:?}, \"rows\": {}, \"dim\": {}, \"classes\": {}, \"threads\": {}, \"proposed\": {}, \"reported\": {}}}",
        times[times.len() / 2],
        times,
        dataset.len(),
        dataset.dim(),
        dataset.num_classes(),
        rayon::current_num_threads(),
        found.0,
        found.1
    );
}

fn write_two_modes(out: &str) {
    use faultline::demo::{generate_world, Attribute, ClassSpec, DemoOptions, Planted};
    let specs = [
        ClassSpec::new(
            "two",
            Planted::HardEither(Attribute::Colour(1), Attribute::Quality(1)),
        ),
        ClassSpec::new("one", Planted::Hard(Attribute::Context(1))),
    ];
    let world = generate_world(
        &specs,
        &DemoOptions {
            seed: 1,
            dim: 512,
            per_split: [5_000, 20_000, 20_000, 0],
        },
    );
    faultline::data::write::write_dataset(&world.dataset, std::path::Path::new(out))
        .expect("writes the world");
    eprintln!("wrote {out}: {} rows", world.dataset.len());
}
