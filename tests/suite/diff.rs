//! `faultline diff`: the verdicts on generated before/after worlds with planted truth and on the
//! demo, the two ways of giving two models (one file with two prediction columns, two files
//! matched by id), the errors when two files do not hold the same examples, the CI gates and
//! their exit codes, and the JUnit file read against the common (Ant) JUnit schema.

use crate::common::*;
use faultline::analysis::compare::{compare, CompareOptions, Comparison, Verdict};
use faultline::analysis::direction::FitOptions;
use faultline::analysis::{fit_model, Along};
use faultline::data::write::{write_caption_bank, write_dataset, write_dataset_with, ExtraModel};
use faultline::data::{Dataset, Ids};
use faultline::demo::{
    generate_world, Attribute, ClassSpec, Demo, DemoOptions, Planted, Retrained,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A world whose retrained model fixes one failure, weakens one, worsens one, keeps one, fixes
/// a failure three classes share, and fails anew on a class that was a control; three controls
/// with random errors stay as they were.
fn specs() -> Vec<ClassSpec> {
    let mut specs = vec![
        ClassSpec::new("fixed", Planted::Hard(Attribute::Context(1)))
            .retrained(Retrained::HardRate(0.06)),
        ClassSpec::new("persisting", Planted::Hard(Attribute::Colour(1))),
        ClassSpec::new("weaker", Planted::Hard(Attribute::Context(0)))
            .retrained(Retrained::HardRate(0.35)),
        ClassSpec::new("regressed", Planted::Hard(Attribute::Context(3)))
            .retrained(Retrained::HardRate(0.97)),
        ClassSpec::new("new", Planted::Control)
            .retrained(Retrained::NewFailure(Attribute::Context(2))),
    ];
    for i in 0..3 {
        specs.push(
            ClassSpec::new(&format!("blur{i}"), Planted::Hard(Attribute::Quality(0)))
                .retrained(Retrained::HardRate(0.06)),
        );
    }
    for i in 0..3 {
        specs.push(ClassSpec::new(&format!("control{i}"), Planted::Control));
    }
    specs
}

fn world(seed: u64) -> Demo {
    generate_world(
        &specs(),
        &DemoOptions {
            seed,
            dim: 256,
            per_split: [200, 500, 500, 0],
        },
    )
}

fn compared(demo: &Demo) -> Comparison {
    let options = FitOptions::default();
    let before = fit_model(&demo.dataset, &options).unwrap();
    let after = fit_model(&demo.after, &options).unwrap();
    compare(
        &demo.dataset,
        &demo.after,
        &before,
        &after,
        &CompareOptions {
            bank: Some(&demo.captions),
            check_k: 50,
        },
    )
}

/// Each class's own modes' verdicts, its shared modes' verdicts and how many new modes.
fn verdicts(c: &Comparison, class: usize) -> (Vec<Verdict>, Vec<Verdict>, usize) {
    let d = &c.classes[class];
    let own = d
        .modes
        .iter()
        .filter(|m| matches!(m.along, Along::Mode(_)))
        .map(|m| m.verdict)
        .collect();
    let shared = d
        .modes
        .iter()
        .filter(|m| matches!(m.along, Along::Shared(_)))
        .map(|m| m.verdict)
        .collect();
    (own, shared, d.new.len())
}

#[test]
fn planted_changes_get_their_verdicts() {
    for seed in [3, 5, 11] {
        let demo = world(seed);
        let c = compared(&demo);
        let names = &demo.dataset.class_names;
        let of = |name: &str| names.iter().position(|n| n == name).unwrap();
        let show =
            |class: usize| format!("seed {seed}, {}: {:?}", names[class], verdicts(&c, class));
        let first = |class: usize| c.classes[class].modes[0].verdict;

        for (name, expected) in [
            ("fixed", Verdict::Fixed),
            ("persisting", Verdict::Persisting),
            ("weaker", Verdict::Weaker),
            ("regressed", Verdict::Regressed),
        ] {
            let class = of(name);
            assert_eq!(first(class), expected, "{}", show(class));
            assert_eq!(c.classes[class].summary(), expected, "{}", show(class));
            assert!(c.classes[class].new.is_empty(), "{}", show(class));
        }
        // The fixed failure's hard side recovered; the regressed one's sank.
        let fixed = &c.classes[of("fixed")].modes[0];
        assert!(fixed.hard.after > fixed.hard.before + 0.4, "{fixed:?}");
        assert!(fixed.gap_after.low <= 0.0, "{fixed:?}");
        let weaker = &c.classes[of("weaker")].modes[0];
        assert!(weaker.gap_after.low > 0.0, "{weaker:?}");
        // The persisting failure is still the after model's: it matches.
        assert!(
            c.classes[of("persisting")].modes[0].matched_by.is_some(),
            "{}",
            show(of("persisting"))
        );

        // A control before: nothing to judge, and one new mode, named by its planted context.
        let new = of("new");
        let (own, _, new_count) = verdicts(&c, new);
        assert!(
            own.iter().all(|v| *v == Verdict::NotAFinding),
            "{}",
            show(new)
        );
        assert_eq!(new_count, 1, "{}", show(new));
        assert_eq!(c.classes[new].summary(), Verdict::New);
        let named = &c.classes[new].new[0].check.as_ref().unwrap().hard_caption;
        assert!(named.contains("on the grass"), "seed {seed}: {named}");
        assert!(c.classes[new].new[0].hard.after < c.classes[new].new[0].hard.before - 0.3);

        // The failure the three blur classes share is fixed, as a shared mode too. Each verdict
        // is a 95% interval's: now and then a fixed gap's after interval stays just above zero
        // and reads "weaker" (3 of 48 class-modes over seeds 1 to 16), never worse.
        let mut fixed_classes = 0;
        for i in 0..3 {
            let class = of(&format!("blur{i}"));
            let (own, shared, new_count) = verdicts(&c, class);
            assert!(
                !shared.is_empty(),
                "{}: shared mode not judged",
                show(class)
            );
            assert!(
                own.iter()
                    .chain(&shared)
                    .all(|v| matches!(v, Verdict::Fixed | Verdict::Weaker)),
                "{}",
                show(class)
            );
            fixed_classes += usize::from(own.iter().chain(&shared).all(|v| *v == Verdict::Fixed));
            assert_eq!(new_count, 0, "{}", show(class));
        }
        assert!(
            fixed_classes >= 2,
            "seed {seed}: the shared fix is seen as one"
        );

        // Controls: random errors before and after, so no finding and nothing new.
        for i in 0..3 {
            let class = of(&format!("control{i}"));
            assert_eq!(
                c.classes[class].summary(),
                Verdict::NotAFinding,
                "{}: {:#?}",
                show(class),
                c.classes[class].new
            );
        }
    }
}

#[test]
fn the_same_model_twice_changes_nothing() {
    let mut demo = world(5);
    demo.after = demo.dataset.clone();
    let c = compared(&demo);
    for d in &c.classes {
        assert!(d.new.is_empty(), "{d:?}");
        for m in &d.modes {
            assert!(
                matches!(m.verdict, Verdict::Persisting | Verdict::NotAFinding),
                "{m:?}"
            );
            assert_eq!(m.gap_change.estimate, 0.0);
            if m.significant {
                assert!(m.matched_by.is_some(), "a mode matches itself: {m:?}");
            }
        }
    }
}

/// The demo written once (with `prediction_after`) for the command-line tests.
fn demo_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir();
        let out = path(&dir, "demo");
        run_ok(&["demo", "--write", out.to_str().unwrap()], dir.path());
        dir
    })
    .path()
}

fn demo_file(name: &str) -> String {
    demo_dir().join("demo").join(name).display().to_string()
}

fn class_verdicts(report: &Value) -> HashMap<String, (String, Vec<String>, usize)> {
    report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let modes = c["modes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["verdict"].as_str().unwrap().to_string())
                .collect();
            (
                c["name"].as_str().unwrap().to_string(),
                (
                    c["verdict"].as_str().unwrap().to_string(),
                    modes,
                    c["new_modes"].as_array().unwrap().len(),
                ),
            )
        })
        .collect()
}

#[test]
fn the_demo_shows_every_verdict() {
    let cache = temp_dir();
    let out = run_ok(&["demo", "--diff", "--format", "json"], cache.path());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["kind"], "diff");
    assert_eq!(report["schema_version"], 1);
    let by_class = class_verdicts(&report);
    let summary = |name: &str| by_class[name].0.as_str();
    assert_eq!(summary("dog"), "fixed", "{by_class:?}");
    assert_eq!(summary("car"), "weaker", "{by_class:?}");
    assert_eq!(summary("bird"), "regressed", "{by_class:?}");
    assert_eq!(summary("horse"), "new", "{by_class:?}");
    assert_eq!(by_class["horse"].2, 1, "{by_class:?}");
    for persisting in ["cat", "wolf", "deer", "sheep", "cow"] {
        let (summary, modes, new) = &by_class[persisting];
        assert_eq!(summary, "persisting", "{persisting}: {by_class:?}");
        assert!(
            modes.iter().all(|m| m == "persisting"),
            "{persisting}: {modes:?}"
        );
        assert_eq!(*new, 0);
    }
    // Every class says how its accuracy moved, with an interval.
    for c in report["classes"].as_array().unwrap() {
        let a = &c["accuracy"];
        assert!(a["before"].is_number() && a["after"].is_number(), "{c}");
        assert!(
            a["change"]["low"].as_f64() <= a["change"]["high"].as_f64(),
            "{c}"
        );
    }
    // The counts add up to the modes listed.
    let counts = &report["counts"];
    let listed: usize = by_class.values().map(|(_, m, n)| m.len() + n).sum();
    let counted: u64 = [
        "fixed",
        "weaker",
        "persisting",
        "regressed",
        "new",
        "not_a_finding",
    ]
    .iter()
    .map(|k| counts[k].as_u64().unwrap())
    .sum();
    assert_eq!(counted as usize, listed);
    assert_eq!(counts["fixed"], 1);
    assert_eq!(counts["regressed"], 1);
}

#[test]
fn the_written_demo_diffs_as_the_demo_does() {
    let cache = temp_dir();
    let data = demo_file("demo.parquet");
    let captions = demo_file("captions.parquet");
    let from_file = run_ok(
        &[
            "diff",
            &data,
            "--before",
            "prediction",
            "--before-confidence",
            "confidence",
            "--after",
            "prediction_after",
            "--after-confidence",
            "confidence_after",
            "--captions",
            &captions,
            "--format",
            "json",
        ],
        cache.path(),
    );
    let built_in = run_ok(&["demo", "--diff", "--format", "json"], cache.path());
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&from_file.stdout).unwrap(),
        serde_json::from_slice(&built_in.stdout).unwrap(),
    );
    assert_eq!(a["classes"], b["classes"]);
    assert_eq!(a["after"]["prediction_column"], "prediction_after");
    assert_eq!(a["after"]["confidence_column"], "confidence_after");
}

#[test]
fn fail_on_exits_1_after_writing_and_names_the_classes() {
    let cache = temp_dir();
    let out = faultline(
        &[
            "demo",
            "--diff",
            "--format",
            "json",
            "--fail-on",
            "regressed,new",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("gate failed: "), "{err}");
    assert!(
        err.contains("bird regressed") && err.contains("horse new"),
        "{err}"
    );
    assert!(!err.contains("dog"), "{err}");
    // The result is written in full before the gate says no.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["gate"]["failed"], true);
    assert_eq!(
        report["gate"]["fail_on"],
        serde_json::json!(["regressed", "new"])
    );

    // The written demo with the same columns for both models: nothing can regress.
    let data = demo_file("demo.parquet");
    let out = faultline(
        &[
            "diff",
            &data,
            "--before",
            "prediction",
            "--after",
            "prediction",
        ],
        cache.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the same column twice is a usage error"
    );
    let dir = temp_dir();
    let copy = path(&dir, "same.parquet");
    let demo = faultline::demo::generate(&DemoOptions::default());
    let same = ExtraModel {
        outcomes: &demo.dataset,
        prediction_column: "prediction_v2",
        confidence_column: "confidence_v2",
    };
    write_dataset_with(&demo.dataset, &[same], &copy).unwrap();
    let out = faultline(
        &[
            "diff",
            copy.to_str().unwrap(),
            "--before",
            "prediction",
            "--after",
            "prediction_v2",
            "--fail-on",
            "regressed,new",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("gate (fail on regressed, new): passed"));
}

#[test]
fn report_fails_on_a_gap_above_the_limit() {
    let cache = temp_dir();
    let data = demo_file("demo.parquet");
    // The demo's planted failures open gaps of 60 to 75 points.
    let out = faultline(&["report", &data, "--fail-on-gap", "50"], cache.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("gate failed: "), "{err}");
    assert!(err.contains("dog") && err.contains("points"), "{err}");
    assert!(
        stdout(&out).contains("── dog"),
        "the report is written first"
    );
    let out = faultline(&["report", &data, "--fail-on-gap", "95"], cache.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for bad in ["-1", "101", "nan", "many"] {
        let out = faultline(&["report", &data, "--fail-on-gap", bad], cache.path());
        assert_eq!(
            out.status.code(),
            Some(2),
            "--fail-on-gap {bad}: {}",
            stderr(&out)
        );
    }
}

// ---- Two files matched by id ----

/// A small world of four classes whose retrained model fixes one failure.
fn small_world() -> Demo {
    let specs = vec![
        ClassSpec::new("cat", Planted::Hard(Attribute::Colour(1)))
            .retrained(Retrained::HardRate(0.06)),
        ClassSpec::new("dog", Planted::Hard(Attribute::Context(1))),
        ClassSpec::new("fox", Planted::Control),
        ClassSpec::new("owl", Planted::Hard(Attribute::Context(0))),
    ];
    let mut demo = generate_world(
        &specs,
        &DemoOptions {
            seed: 2,
            dim: 64,
            per_split: [100, 300, 300, 0],
        },
    );
    let ids: Vec<i64> = (0..demo.dataset.len() as i64)
        .map(|i| 1000 + 7 * i)
        .collect();
    demo.dataset.ids = Ids::Int(ids.clone());
    demo.after.ids = Ids::Int(ids);
    demo
}

/// The after model's outcomes alone, as a user's evaluation script writes them: string labels
/// and predictions, rows in another order, no embeddings.
struct Outcomes {
    ids: Vec<Option<i64>>,
    labels: Vec<Option<String>>,
    predictions: Vec<Option<String>>,
    splits: Vec<Option<String>>,
}

impl Outcomes {
    fn of(d: &Dataset) -> Outcomes {
        let Ids::Int(ids) = &d.ids else { panic!() };
        let name = |c: Option<u32>| c.map(|c| d.class_names[c as usize].clone());
        let mut rows: Vec<usize> = (0..d.len()).collect();
        rows.reverse();
        Outcomes {
            ids: rows.iter().map(|&r| Some(ids[r])).collect(),
            labels: rows.iter().map(|&r| name(d.labels[r])).collect(),
            predictions: rows
                .iter()
                .map(|&r| name(d.predictions.as_ref().unwrap()[r]))
                .collect(),
            splits: rows
                .iter()
                .map(|&r| Some(d.splits[r].name().to_string()))
                .collect(),
        }
    }

    /// Back to the dataset's row order (`of` writes the rows reversed).
    fn reverse(&mut self) {
        self.ids.reverse();
        self.labels.reverse();
        self.predictions.reverse();
        self.splits.reverse();
    }

    fn write(&self, path: &Path) {
        let text = |v: &Vec<Option<String>>| strings(v.iter().map(|s| s.as_deref()).collect());
        write_parquet(
            path,
            &batch(vec![
                ("id", ints(self.ids.clone())),
                ("label", text(&self.labels)),
                ("prediction", text(&self.predictions)),
                ("split", text(&self.splits)),
            ]),
        );
    }
}

fn two_files(dir: &tempfile::TempDir, demo: &Demo) -> (PathBuf, PathBuf) {
    let (before, after) = (path(dir, "before.parquet"), path(dir, "after.parquet"));
    write_dataset(&demo.dataset, &before).unwrap();
    Outcomes::of(&demo.after).write(&after);
    (before, after)
}

fn diff_json(args: &[&str], cache: &Path) -> Value {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    serde_json::from_slice(&run_ok(&all, cache).stdout).unwrap()
}

#[test]
fn two_files_are_matched_by_id_whichever_holds_the_embeddings() {
    let demo = small_world();
    let dir = temp_dir();
    let (before, after) = two_files(&dir, &demo);
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    let forward = diff_json(&[before, after], dir.path());
    let by_class = class_verdicts(&forward);
    assert_eq!(by_class["cat"].0, "fixed", "{by_class:?}");
    assert_eq!(by_class["dog"].0, "persisting", "{by_class:?}");
    assert_eq!(by_class["owl"].0, "persisting", "{by_class:?}");
    assert_eq!(by_class["fox"].0, "not_a_finding", "{by_class:?}");
    assert_eq!(forward["before"]["path"], before);
    assert_eq!(forward["after"]["path"], after);

    // The same two models in one file give the same verdicts and numbers.
    let one = path(&dir, "one.parquet");
    let after_model = ExtraModel {
        outcomes: &demo.after,
        prediction_column: "prediction_v2",
        confidence_column: "confidence_v2",
    };
    write_dataset_with(&demo.dataset, &[after_model], &one).unwrap();
    let single = diff_json(
        &[
            one.to_str().unwrap(),
            "--before",
            "prediction",
            "--after",
            "prediction_v2",
        ],
        dir.path(),
    );
    assert_eq!(single["classes"], forward["classes"]);

    // Embeddings in the after file only: the roles stay as given.
    let (before_outcomes, after_full) = (path(&dir, "b.parquet"), path(&dir, "a.parquet"));
    Outcomes::of(&demo.dataset).write(&before_outcomes);
    write_dataset(&demo.after, &after_full).unwrap();
    let backward = diff_json(
        &[
            before_outcomes.to_str().unwrap(),
            after_full.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(class_verdicts(&backward)["cat"].0, "fixed");

    // The embeddings in a NumPy file beside the first dataset's outcomes.
    let (emb, before_only) = (path(&dir, "emb.npy"), path(&dir, "before_only.parquet"));
    let e = &demo.dataset.embeddings;
    std::fs::write(&emb, npy_f32(e.len(), e.dim(), &e.to_vec())).unwrap();
    let mut in_order = Outcomes::of(&demo.dataset);
    in_order.reverse();
    in_order.write(&before_only);
    let from_npy = diff_json(
        &[
            before_only.to_str().unwrap(),
            after,
            "--embeddings",
            emb.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(from_npy["classes"], forward["classes"]);
}

/// Runs diff on BEFORE and an after file edited by `edit`; returns its stderr, asserting exit 2.
fn mismatch(edit: impl FnOnce(&mut Outcomes), write_embeddings: bool) -> String {
    let demo = small_world();
    let dir = temp_dir();
    let (before, after) = two_files(&dir, &demo);
    let mut outcomes = Outcomes::of(&demo.after);
    edit(&mut outcomes);
    outcomes.write(&after);
    let before = if write_embeddings {
        before
    } else {
        let b = path(&dir, "before_outcomes.parquet");
        Outcomes::of(&demo.dataset).write(&b);
        b
    };
    let out = faultline(
        &["diff", before.to_str().unwrap(), after.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("after.parquet"), "names the file: {err}");
    err
}

#[test]
fn two_files_that_differ_say_how() {
    let missing = mismatch(|o| o.ids[0] = Some(-5), true);
    assert!(
        missing.contains("not in it (first: ") && missing.contains("first: -5"),
        "{missing}"
    );
    let fewer = mismatch(
        |o| {
            o.ids.pop();
            o.labels.pop();
            o.predictions.pop();
            o.splits.pop();
        },
        true,
    );
    assert!(
        fewer.contains("ids of") && fewer.contains("not in it"),
        "{fewer}"
    );
    let extra = mismatch(
        |o| {
            o.ids.push(Some(1));
            o.labels.push(Some("cat".into()));
            o.predictions.push(Some("cat".into()));
            o.splits.push(Some("test".into()));
        },
        true,
    );
    assert!(extra.contains("1 of its ids are not in"), "{extra}");
    let relabelled = mismatch(
        |o| {
            let row = o
                .labels
                .iter()
                .position(|l| l.as_deref() == Some("cat"))
                .unwrap();
            o.labels[row] = Some("dog".into());
        },
        true,
    );
    assert!(
        relabelled.contains("label dog here but cat"),
        "{relabelled}"
    );
    let moved = mismatch(
        |o| {
            let row = o
                .splits
                .iter()
                .position(|s| s.as_deref() == Some("test"))
                .unwrap();
            o.splits[row] = Some("val".into());
        },
        true,
    );
    assert!(moved.contains("split 'val' here but 'test'"), "{moved}");
    let no_embeddings = mismatch(|_| {}, false);
    assert!(
        no_embeddings.contains("must hold the embeddings"),
        "{no_embeddings}"
    );

    // Ids on one side only.
    let demo = small_world();
    let dir = temp_dir();
    let (before, _) = two_files(&dir, &demo);
    let after = path(&dir, "after.parquet");
    let mut without_ids = demo.after.clone();
    without_ids.ids = Ids::RowNumbers;
    write_dataset(&without_ids, &after).unwrap();
    let out = faultline(
        &["diff", before.to_str().unwrap(), after.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no id column but"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn model_flags_that_do_not_fit_the_inputs_are_usage_errors() {
    let demo = small_world();
    let dir = temp_dir();
    let (before, after) = two_files(&dir, &demo);
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    let cases: [(&[&str], &str); 4] = [
        (&[before], "--before COL --after COL"),
        (
            &[before, "--before", "prediction"],
            "--before COL --after COL",
        ),
        (
            &[before, after, "--after", "prediction"],
            "names a column of a single dataset",
        ),
        (
            &[before, "--before", "prediction", "--after", "nope"],
            "nope",
        ),
    ];
    for (args, says) in cases {
        let mut all = vec!["diff"];
        all.extend_from_slice(args);
        let out = faultline(&all, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

// ---- JUnit ----

/// The attributes the common JUnit schema (Ant's, as Jenkins and GitLab read it) requires.
const SUITE_ATTRIBUTES: [&str; 9] = [
    "name",
    "package",
    "id",
    "timestamp",
    "hostname",
    "tests",
    "failures",
    "errors",
    "time",
];

/// Reads a JUnit file as the schema describes it; returns (test case name, failure message).
fn read_junit(text: &str) -> Vec<(String, Option<String>)> {
    let doc = roxmltree::Document::parse(text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    for a in SUITE_ATTRIBUTES {
        assert!(suite.attribute(a).is_some(), "testsuite lacks {a}");
    }
    let timestamp = suite.attribute("timestamp").unwrap();
    // ISO 8601 without a time zone, as the schema's xs:dateTime pattern asks.
    assert_eq!(timestamp.len(), 19, "{timestamp}");
    assert!(
        timestamp.chars().enumerate().all(|(i, ch)| match i {
            4 | 7 => ch == '-',
            10 => ch == 'T',
            13 | 16 => ch == ':',
            _ => ch.is_ascii_digit(),
        }),
        "{timestamp}"
    );
    assert!(suite.attribute("time").unwrap().parse::<f64>().unwrap() >= 0.0);
    // The schema's sequence: properties, test cases, system-out, system-err.
    let order: Vec<&str> = suite
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    let cases_end = order.len() - 2;
    assert_eq!(order[0], "properties");
    assert!(
        order[1..cases_end].iter().all(|t| *t == "testcase"),
        "{order:?}"
    );
    assert_eq!(&order[cases_end..], ["system-out", "system-err"]);
    let cases: Vec<(String, Option<String>)> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            for a in ["name", "classname", "time"] {
                assert!(case.attribute(a).is_some(), "testcase lacks {a}");
            }
            let failures: Vec<_> = case
                .children()
                .filter(|n| n.has_tag_name("failure"))
                .collect();
            assert!(failures.len() <= 1);
            let failure = failures.first().map(|f| {
                assert!(f.attribute("type").is_some());
                f.attribute("message").unwrap().to_string()
            });
            (case.attribute("name").unwrap().to_string(), failure)
        })
        .collect();
    let count = |a: &str| suite.attribute(a).unwrap().parse::<usize>().unwrap();
    assert_eq!(count("tests"), cases.len());
    assert_eq!(
        count("failures"),
        cases.iter().filter(|(_, f)| f.is_some()).count()
    );
    assert_eq!(count("errors"), 0);
    cases
}

#[test]
fn junit_has_one_case_per_class_and_fails_the_gated_ones() {
    let dir = temp_dir();
    let out_file = path(&dir, "diff.xml");
    let out = faultline(
        &[
            "demo",
            "--diff",
            "--format",
            "junit",
            "--fail-on",
            "regressed,new",
            "--out",
            out_file.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let cases = read_junit(&std::fs::read_to_string(&out_file).unwrap());
    let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, faultline::demo::CLASSES.map(|(n, _)| n));
    let failed: Vec<&str> = cases
        .iter()
        .filter(|(_, f)| f.is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed, ["bird", "horse"]);

    // Without --fail-on, JUnit marks regressed and new modes, and the exit is 0.
    let out = faultline(&["demo", "--diff", "--format", "junit"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cases = read_junit(&stdout(&out));
    assert_eq!(cases.iter().filter(|(_, f)| f.is_some()).count(), 2);

    // The report's gate as JUnit: a case per class, failing where the gap is over the limit.
    let data = demo_file("demo.parquet");
    let out = faultline(
        &["report", &data, "--format", "junit", "--fail-on-gap", "65"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let cases = read_junit(&stdout(&out));
    assert_eq!(cases.len(), 10);
    let failed = cases.iter().filter(|(_, f)| f.is_some()).count();
    assert!((1..10).contains(&failed), "{cases:?}");
    for (_, message) in cases.iter().filter_map(|(n, f)| f.as_ref().map(|f| (n, f))) {
        assert!(message.contains("points"), "{message}");
    }
}

#[test]
fn junit_escapes_hostile_class_names() {
    let mut demo = small_world();
    let hostile = [
        "<script>&\"cat\"</script>",
        "dog\u{1b}[31m\u{7}",
        "fox ]]> 'quoted'",
        "owl\u{0}\u{feff}",
    ];
    for (name, evil) in demo.dataset.class_names.iter_mut().zip(hostile) {
        *name = evil.to_string();
    }
    demo.after.class_names = demo.dataset.class_names.clone();
    let dir = temp_dir();
    let one = path(&dir, "one.parquet");
    let after_model = ExtraModel {
        outcomes: &demo.after,
        prediction_column: "prediction_v2",
        confidence_column: "confidence_v2",
    };
    write_dataset_with(&demo.dataset, &[after_model], &one).unwrap();
    let captions = path(&dir, "captions.parquet");
    write_caption_bank(&demo.captions, &demo.dataset.class_names, &captions).unwrap();
    let out = faultline(
        &[
            "diff",
            one.to_str().unwrap(),
            "--before",
            "prediction",
            "--after",
            "prediction_v2",
            "--captions",
            captions.to_str().unwrap(),
            "--format",
            "junit",
            "--fail-on",
            "fixed,persisting",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // XML 1.0 cannot carry these even escaped; the terminal must not receive them either.
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters in the JUnit file"
    );
    let cases = read_junit(&text);
    assert_eq!(cases[0].0, "<script>&\"cat\"</script>");
    assert!(cases[1].0.starts_with("dog"), "{:?}", cases[1]);
    assert_eq!(cases[2].0, "fox ]]> 'quoted'");
    assert!(cases[0].1.is_some(), "the fixed class fails the gate");
    // The gate's message on stderr is escaped for the terminal too.
    assert!(!stderr(&out).contains('\u{1b}'));
}

#[test]
fn markdown_is_a_table_a_pull_request_renders() {
    let cache = temp_dir();
    let out = run_ok(&["demo", "--diff", "--format", "markdown"], cache.path());
    let text = stdout(&out);
    assert!(text.starts_with("## faultline diff: "), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    let columns = rows[0].matches('|').count();
    assert!(
        rows.iter().all(|r| r.matches('|').count() == columns),
        "{text}"
    );
    assert!(rows[1].starts_with("|---"));
    assert!(
        text.contains("| dog | mode 1 |") && text.contains("fixed"),
        "{text}"
    );
    assert!(
        text.contains("| bird | mode 1 |") && text.contains("regressed"),
        "{text}"
    );
    assert!(text.contains("| horse |") && text.contains("new"), "{text}");
}
