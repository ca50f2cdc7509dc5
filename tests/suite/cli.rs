//! The CLI end to end, on generated data: the demo written to disk, reported, exported and
//! intervened on, in every input layout; then bad input, which must fail cleanly.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn write_demo(dir: &Path, cache: &Path) {
    run_ok(&["demo", "--write", dir.to_str().unwrap()], cache);
}

fn report_json(args: &[&str], cache: &Path) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = faultline(&all, cache);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("valid JSON")
}

fn class<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no class {name}"))
}

#[test]
fn demo_on_disk_reports_the_planted_failures_and_caches_the_fit() {
    let dir = temp_dir();
    let cache = temp_dir();
    write_demo(dir.path(), cache.path());
    let data = path(&dir, "demo.parquet");
    let captions = path(&dir, "captions.parquet");
    let demo = faultline::demo::DemoOptions::default();
    let classes = faultline::demo::CLASSES.len();
    let first_test_row = (demo.per_split[0] + demo.per_split[1]) * classes;
    assert!(path(&dir, &format!("images/test/{first_test_row}.png")).exists());

    let args = [
        data.to_str().unwrap(),
        "--captions",
        captions.to_str().unwrap(),
    ];
    let report = report_json(&args, cache.path());
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["fit"]["cached"], false);
    assert_eq!(report["dataset"]["classes"], classes);
    let dog = class(&report, "dog");
    assert_eq!(dog["status"], "fitted");
    assert!(dog["hard_captions"][0]["text"]
        .as_str()
        .unwrap()
        .contains("in the snow"));
    assert_eq!(dog["reference_caption"]["source"], "bank");
    let hardest = &dog["hardest"][0];
    assert!(hardest["decision_value"].as_f64().unwrap() < 0.0);
    assert!(
        Path::new(hardest["image"].as_str().unwrap()).exists(),
        "image paths resolve"
    );
    assert_eq!(
        class(&report, "horse")["status"],
        "no_coherent_failure_mode"
    );
    assert!(class(&report, "horse")["reason"]
        .as_str()
        .unwrap()
        .contains("no better than chance"));
    // The statistics that decide it, stated.
    let statistics = &report["statistics"];
    assert_eq!(statistics["correction"], "benjamini_hochberg");
    assert!(statistics["hypotheses"].as_u64().unwrap() >= classes as u64);
    let horse_q = class(&report, "horse")["modes"][0]["evidence"]["q_value"]
        .as_f64()
        .unwrap();
    assert!(horse_q >= statistics["alpha"].as_f64().unwrap());
    // Mode 1 is the paper's direction: the top-level fields are its fields.
    assert_eq!(dog["modes"][0]["source"], "paper");
    assert_eq!(dog["modes"][0]["hard_captions"], dog["hard_captions"]);
    assert_eq!(dog["modes"][0]["hardest"], dog["hardest"]);
    // The wolf fails in two ways: mode 1 blends modes 2 and 3.
    let wolf = class(&report, "wolf");
    assert_eq!(wolf["modes"].as_array().unwrap().len(), 3);
    assert_eq!(wolf["modes"][0]["blends"], serde_json::json!([2, 3]));
    for mode in &wolf["modes"].as_array().unwrap()[1..] {
        assert_eq!(mode["source"], "split");
        assert_eq!(mode["finding"], true);
        let gap = &mode["check"]["gap"];
        assert!(gap["low"].as_f64().unwrap() <= gap["estimate"].as_f64().unwrap());
    }
    // Blurry photos hurt deer, sheep and cow: one shared mode that explains their mode 1.
    let shared = report["shared_modes"].as_array().unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["name"], "a blurry photo of a {class}");
    let mut hurt: Vec<&str> = shared[0]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    hurt.sort();
    assert_eq!(hurt, ["cow", "deer", "sheep"]);
    assert_eq!(class(&report, "deer")["modes"][0]["shared_mode"], 1);

    let again = report_json(&args, cache.path());
    assert_eq!(
        again["fit"]["cached"], true,
        "the second run reads the cache"
    );
    assert_eq!(again["classes"], report["classes"]);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| {
            let name = e.unwrap().file_name();
            name == "demo.parquet" || name == "captions.parquet" || name == "images"
        }),
        "nothing is written beside the input"
    );
}

#[test]
fn report_formats_and_class_filter() {
    let dir = temp_dir();
    let cache = temp_dir();
    write_demo(dir.path(), cache.path());
    let data = path(&dir, "demo.parquet");
    let captions = path(&dir, "captions.parquet");
    let base = [
        "report",
        data.to_str().unwrap(),
        "--captions",
        captions.to_str().unwrap(),
    ];

    let table = faultline(&[&base[..], &["--class", "cat"]].concat(), cache.path());
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.contains("── cat (fitted) ──") && text.contains("white cat"),
        "{text}"
    );
    assert!(!text.contains("── dog"), "only the chosen class");

    let md_path = path(&dir, "report.md");
    let md = faultline(
        &[
            &base[..],
            &["--format", "markdown", "--out", md_path.to_str().unwrap()],
        ]
        .concat(),
        cache.path(),
    );
    assert!(md.status.success(), "{}", stderr(&md));
    let markdown = std::fs::read_to_string(&md_path).unwrap();
    assert!(markdown.starts_with("# Failure modes"));
    assert!(markdown.contains("| dog | fitted |"));

    let unknown = faultline(&[&base[..], &["--class", "zebra"]].concat(), cache.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown class 'zebra'"));
}

#[test]
fn export_and_intervene_write_csv_and_parquet() {
    let dir = temp_dir();
    let cache = temp_dir();
    write_demo(dir.path(), cache.path());
    let data = path(&dir, "demo.parquet");
    let data = data.to_str().unwrap();

    let csv = path(&dir, "dog_hard.csv");
    run_ok(
        &[
            "export",
            data,
            "--class",
            "dog",
            "--hardest",
            "25",
            "--out",
            csv.to_str().unwrap(),
        ],
        cache.path(),
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for column in [
        "rank",
        "id",
        "label",
        "prediction",
        "correct",
        "confidence",
        "image",
        "decision_value",
        "sigma",
    ] {
        assert!(
            header.split(',').any(|h| h == column),
            "{column} in {header}"
        );
    }
    // Image paths relative to the export's folder, as the input contract reads them.
    let image = header.split(',').position(|h| h == "image").unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 25);
    let first_image = rows[0].split(',').nth(image).unwrap();
    assert!(
        !first_image.starts_with('/') && dir.path().join(first_image).exists(),
        "{first_image}"
    );

    let parquet = path(&dir, "cat_easy.parquet");
    run_ok(
        &[
            "export",
            data,
            "--class",
            "cat",
            "--easiest",
            "10",
            "--out",
            parquet.to_str().unwrap(),
        ],
        cache.path(),
    );
    let rows = read_parquet(&parquet).num_rows();
    assert_eq!(rows, 10);

    let weights = path(&dir, "weights.csv");
    run_ok(
        &[
            "intervene",
            data,
            "--weights",
            "balanced",
            "--out",
            weights.to_str().unwrap(),
        ],
        cache.path(),
    );
    let text = std::fs::read_to_string(&weights).unwrap();
    // A header line, then one weight per train row of the demo.
    let demo = faultline::demo::DemoOptions::default();
    let train_rows = demo.per_split[0] * faultline::demo::CLASSES.len();
    assert_eq!(
        text.lines().count(),
        1 + train_rows,
        "one weight per train row"
    );
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with("mode,decision_value,weight"));

    let select = path(&dir, "to_label.csv");
    run_ok(
        &[
            "intervene",
            data,
            "--select",
            "20",
            "--out",
            select.to_str().unwrap(),
        ],
        cache.path(),
    );
    let text = std::fs::read_to_string(&select).unwrap();
    // 20 pool rows for every significant mode of every class, as the report counts them.
    let report = report_json(&[data, "--no-cache"], cache.path());
    let modes: usize = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["modes"].as_array().unwrap())
        .filter(|m| m["evidence"]["significant"] == true)
        .count();
    assert!(modes > faultline::demo::CLASSES.len(), "{modes}");
    assert_eq!(
        text.lines().count(),
        1 + modes * 20,
        "20 per significant mode"
    );
    // One mode of one class, and one shared mode in every class it hurts.
    let column = |text: &str, name: &str| -> Vec<String> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == name).unwrap();
        lines
            .map(|l| l.split(',').nth(at).unwrap().to_string())
            .collect()
    };
    let wolf2 = path(&dir, "wolf2.csv");
    let wolf2 = wolf2.to_str().unwrap();
    let args = [
        "intervene",
        data,
        "--select",
        "7",
        "--class",
        "wolf",
        "--mode",
        "2",
    ];
    run_ok(&[&args[..], &["--out", wolf2]].concat(), cache.path());
    let text = std::fs::read_to_string(wolf2).unwrap();
    assert_eq!(column(&text, "class"), vec!["wolf"; 7]);
    assert_eq!(column(&text, "mode"), vec!["2"; 7]);
    let blurry = path(&dir, "blurry.csv");
    let blurry = blurry.to_str().unwrap();
    run_ok(
        &[
            "intervene",
            data,
            "--select",
            "5",
            "--shared",
            "1",
            "--out",
            blurry,
        ],
        cache.path(),
    );
    let text = std::fs::read_to_string(blurry).unwrap();
    let mut classes = column(&text, "class");
    classes.sort();
    classes.dedup();
    assert_eq!(classes, ["cow", "deer", "sheep"]);
    assert!(column(&text, "mode").iter().all(|m| m == "shared 1"));
    assert_eq!(text.lines().count(), 1 + 3 * 5);
    // Export along a further mode and along the shared mode.
    for (extra, what) in [
        (&["--class", "wolf", "--mode", "3"][..], "mode 3"),
        (&["--class", "deer", "--shared", "1"][..], "shared mode 1"),
    ] {
        let out = path(&dir, "along.csv");
        let run = run_ok(
            &[
                &[
                    "export",
                    data,
                    "--hardest",
                    "12",
                    "--out",
                    out.to_str().unwrap(),
                ][..],
                extra,
            ]
            .concat(),
            cache.path(),
        );
        assert!(stderr(&run).contains(what), "{}", stderr(&run));
        assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 13);
    }
    // A mode the class does not have is a clear error.
    let out = path(&dir, "none.csv");
    let missing = faultline(
        &[
            "export",
            data,
            "--class",
            "dog",
            "--mode",
            "2",
            "--hardest",
            "5",
            "--out",
            out.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("it has 1 mode"),
        "{}",
        stderr(&missing)
    );
    assert!(!out.exists());

    let bad = faultline(
        &[
            "intervene",
            data,
            "--weights",
            "heavy",
            "--out",
            weights.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    // clap names the bad value and every scheme there is.
    let said = stderr(&bad);
    assert!(
        said.contains("invalid value 'heavy' for '--weights"),
        "{said}"
    );
    assert!(
        said.contains("soft, double-where-negative, balanced"),
        "{said}"
    );
}

fn read_parquet(path: &Path) -> arrow::array::RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    // The builder's schema keeps the file's metadata (class names); the batches' schema does not.
    let schema = builder.schema().clone();
    let batches: Vec<_> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

#[test]
fn arrow_ipc_and_sharded_inputs_give_the_same_report() {
    let dir = temp_dir();
    let cache = temp_dir();
    write_demo(dir.path(), cache.path());
    let batch = read_parquet(&path(&dir, "demo.parquet"));
    let arrow_path = path(&dir, "demo.arrow");
    // Ragged record batches: the memory-mapped embedding chunks must line up row by row.
    write_arrow_in_batches(&arrow_path, &batch, &[1000, 3000, 77]);
    let shards = path(&dir, "shards");
    std::fs::create_dir_all(shards.join("part=a")).unwrap();
    let half = batch.num_rows() / 2;
    write_parquet(&shards.join("part=a/0.parquet"), &batch.slice(0, half));
    write_parquet(
        &shards.join("part=a/1.parquet"),
        &batch.slice(half, batch.num_rows() - half),
    );
    std::fs::write(shards.join("_SUCCESS"), b"").unwrap();

    let reference = report_json(
        &[path(&dir, "demo.parquet").to_str().unwrap(), "--no-cache"],
        cache.path(),
    );
    for input in [arrow_path, shards] {
        let other = report_json(&[input.to_str().unwrap(), "--no-cache"], cache.path());
        assert_eq!(
            other["classes"].as_array().unwrap().len(),
            faultline::demo::CLASSES.len()
        );
        for (a, b) in reference["classes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(other["classes"].as_array().unwrap())
        {
            assert_eq!(a["name"], b["name"]);
            assert_eq!(a["svm"], b["svm"], "{}", input.display());
            assert_eq!(a["status"], b["status"]);
        }
    }
}

/// Spark's `partitionBy("split", "label")` and pyarrow's `write_to_dataset(partition_cols=…)`
/// keep those columns in folder names (`split=val/label=3/`), not in the files.
#[test]
fn hive_partitioned_folders_load_as_one_dataset() {
    use arrow::array::{Array, BooleanArray};
    use arrow::util::display::array_value_to_string;
    let dir = temp_dir();
    let cache = temp_dir();
    write_demo(dir.path(), cache.path());
    let batch = read_parquet(&path(&dir, "demo.parquet"));
    let split = batch.column_by_name("split").unwrap().clone();
    let label = batch.column_by_name("label").unwrap().clone();
    let mut groups: std::collections::BTreeMap<(String, String), Vec<bool>> = Default::default();
    for row in 0..batch.num_rows() {
        let key = (
            array_value_to_string(&split, row).unwrap(),
            if label.is_null(row) {
                "__HIVE_DEFAULT_PARTITION__".to_string()
            } else {
                array_value_to_string(&label, row).unwrap()
            },
        );
        let mask = groups
            .entry(key)
            .or_insert_with(|| vec![false; batch.num_rows()]);
        mask[row] = true;
    }
    let root = path(&dir, "hive");
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| !["split", "label"].contains(&batch.schema().field(i).name().as_str()))
        .collect();
    let stored = batch.project(&keep).unwrap();
    for ((split, label), mask) in &groups {
        let folder = root
            .join(format!("split={split}"))
            .join(format!("label={label}"));
        std::fs::create_dir_all(&folder).unwrap();
        let part = arrow::compute::filter_record_batch(&stored, &BooleanArray::from(mask.clone()))
            .unwrap();
        write_parquet(&folder.join("part-00000.parquet"), &part);
    }
    std::fs::write(root.join("_SUCCESS"), b"").unwrap();

    let reference = report_json(
        &[path(&dir, "demo.parquet").to_str().unwrap(), "--no-cache"],
        cache.path(),
    );
    let hive = report_json(&[root.to_str().unwrap(), "--no-cache"], cache.path());
    assert_eq!(hive["dataset"]["splits"], reference["dataset"]["splits"]);
    assert_eq!(hive["dataset"]["split_source"]["kind"], "column");
    for (a, b) in reference["classes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(hive["classes"].as_array().unwrap())
    {
        assert_eq!(a["name"], b["name"]);
        assert_eq!(a["status"], b["status"]);
        assert_eq!(a["svm"]["c"], b["svm"]["c"], "{}", a["name"]);
        let cv = |c: &Value| c["svm"]["cv_balanced_accuracy"].as_f64();
        assert!(cv(a).is_some(), "{}: no CV balanced accuracy", a["name"]);
        assert_eq!(cv(a), cv(b), "{}", a["name"]);
        // Rows are numbered in file order, which the partitioning changed; the decision values
        // of the hardest rows must agree (up to the summation order of the statistics).
        let values = |c: &Value| -> Vec<f64> {
            c["hardest"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .map(|r| r["decision_value"].as_f64().unwrap())
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(values(a).len(), values(b).len());
        assert!(a["status"] != "fitted" || !values(a).is_empty());
        for (x, y) in values(a).iter().zip(values(b)) {
            assert!((x - y).abs() < 1e-9, "{}: {x} vs {y}", a["name"]);
        }
    }
}

#[test]
fn string_labels_correct_column_and_generated_split() {
    let dir = temp_dir();
    let cache = temp_dir();
    let n = 400;
    let mut columns = small_columns(n);
    let names = ["ant", "bee"];
    let labels: Vec<Option<&str>> = (0..n).map(|i| Some(names[i % 2])).collect();
    let correct: Vec<bool> = (0..n).map(|i| !(i % 5 == 0 && i % 3 != 0)).collect();
    columns.retain(|(name, _)| *name == "embedding");
    columns.push(("label", strings(labels)));
    columns.push((
        "correct",
        std::sync::Arc::new(arrow::array::BooleanArray::from(correct)),
    ));
    let file = path(&dir, "strings.parquet");
    write_parquet(&file, &batch(columns));
    let report = report_json(&[file.to_str().unwrap()], cache.path());
    assert_eq!(report["dataset"]["split_source"]["kind"], "generated");
    let val = report["dataset"]["splits"]["val"].as_u64().unwrap();
    assert!(
        (200..=202).contains(&val),
        "half of each (class, correct) stratum, rounded up: {val}"
    );
    assert_eq!(report["fit"]["standardized_on"], "val");
    let ant = class(&report, "ant");
    assert_eq!(ant["status"], "fitted", "{ant}");
    assert!(ant["test_metrics"]["balanced_accuracy"].as_f64().unwrap() > 0.9);
}

/// Writes a bad dataset, runs `report` on it with an --out file, and checks the failure.
fn assert_bad_input(file_name: &str, make: impl FnOnce(&Path), extra: &[&str], expected: &[&str]) {
    let dir = temp_dir();
    let cache = temp_dir();
    let file = path(&dir, file_name);
    make(&file);
    let before = std::fs::read(&file).ok();
    let out_file = path(&dir, "report.json");
    let mut args = vec![
        "report",
        file.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = faultline(&args, cache.path());
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{file_name}: {message}");
    assert!(!message.contains("panicked"), "{message}");
    for part in expected {
        assert!(
            message.contains(part),
            "{file_name}: expected '{part}' in: {message}"
        );
    }
    assert!(!out_file.exists(), "no output on failure");
    assert_eq!(std::fs::read(&file).ok(), before, "the input is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        leftovers.len() <= 2,
        "no temporary files left: {leftovers:?}"
    );
}

fn with_columns(
    edit: impl FnOnce(&mut Vec<(&'static str, arrow::array::ArrayRef)>),
) -> impl FnOnce(&Path) {
    move |p: &Path| {
        let mut columns = small_columns(40);
        edit(&mut columns);
        write_parquet(p, &batch(columns));
    }
}

#[test]
fn missing_columns_are_named() {
    assert_bad_input(
        "a.parquet",
        with_columns(|c| c.retain(|(n, _)| *n != "embedding")),
        &[],
        &[
            "a.parquet",
            "column 'embedding'",
            "missing required column",
            "label",
        ],
    );
    assert_bad_input(
        "b.parquet",
        with_columns(|c| c.retain(|(n, _)| *n != "prediction")),
        &[],
        &["b.parquet", "'prediction'", "'correct'"],
    );
    assert_bad_input(
        "c.parquet",
        with_columns(|_| {}),
        &["--label-col", "target"],
        &["column 'target'", "missing"],
    );
}

#[test]
fn bad_embeddings_name_the_row() {
    assert_bad_input(
        "nan.parquet",
        with_columns(|c| {
            let mut values = vec![0.5f32; 40 * 4];
            values[17 * 4 + 2] = f32::NAN;
            c[0].1 = fixed_list(4, values);
        }),
        &[],
        &["nan.parquet", "column 'embedding'", "row 17", "NaN"],
    );
    assert_bad_input(
        "inf.parquet",
        with_columns(|c| {
            let mut values = vec![0.5f32; 40 * 4];
            values[3 * 4] = f32::INFINITY;
            c[0].1 = fixed_list(4, values);
        }),
        &[],
        &["row 3", "inf"],
    );
    assert_bad_input(
        "mixed.parquet",
        with_columns(|c| {
            let mut rows = vec![vec![0.5f32; 4]; 40];
            rows[9] = vec![0.5; 3];
            c[0].1 = variable_list(rows);
        }),
        &[],
        &[
            "column 'embedding'",
            "row 9",
            "3 values",
            "earlier rows have 4",
        ],
    );
    assert_bad_input(
        "zero.parquet",
        with_columns(|c| c[0].1 = variable_list(vec![vec![]; 40])),
        &[],
        &["row 0", "dimension 0"],
    );
    assert_bad_input(
        "text.parquet",
        with_columns(|c| c[0].1 = strings(vec![Some("x"); 40])),
        &[],
        &["column 'embedding'", "expected a list of floats"],
    );
}

#[test]
fn bad_labels_name_the_row() {
    assert_bad_input(
        "neg.parquet",
        with_columns(|c| {
            let mut labels: Vec<Option<i64>> = (0..40).map(|i| Some(i % 2)).collect();
            labels[5] = Some(-1);
            c[1].1 = ints(labels);
        }),
        &[],
        &["column 'label'", "row 5", "negative"],
    );
    assert_bad_input(
        "null.parquet",
        with_columns(|c| {
            let mut labels: Vec<Option<i64>> = (0..40).map(|i| Some(i % 2)).collect();
            labels[11] = None;
            c[1].1 = ints(labels);
        }),
        &[],
        &["column 'label'", "row 11", "null", "pool"],
    );
    let classes_dir = temp_dir();
    let classes = path(&classes_dir, "classes.txt");
    std::fs::write(&classes, "ant\n").unwrap();
    assert_bad_input(
        "range.parquet",
        with_columns(|_| {}),
        &["--classes", classes.to_str().unwrap()],
        &["column 'label'", "row 1", "out of range", "1 class names"],
    );
    assert_bad_input(
        "names.parquet",
        with_columns(|c| {
            c[1].1 = strings(
                (0..40)
                    .map(|i| Some(if i == 7 { "wasp" } else { "ant" }))
                    .collect(),
            );
            c[2].1 = strings(vec![Some("ant"); 40]);
        }),
        &["--classes", classes.to_str().unwrap()],
        &["column 'label'", "row 7", "unknown class name 'wasp'"],
    );
    assert_bad_input(
        "kinds.parquet",
        with_columns(|c| c[2].1 = strings(vec![Some("ant"); 40])),
        &[],
        &["column 'prediction'", "both must be"],
    );
}

#[test]
fn bad_optional_columns_name_the_row() {
    assert_bad_input(
        "split.parquet",
        with_columns(|c| {
            c.push((
                "split",
                strings(
                    (0..40)
                        .map(|i| Some(if i == 13 { "holdout" } else { "val" }))
                        .collect(),
                ),
            ));
        }),
        &[],
        &["column 'split'", "row 13", "'holdout'"],
    );
    assert_bad_input(
        "ids.parquet",
        with_columns(|c| {
            c.push((
                "id",
                ints((0..40).map(|i| Some(if i == 21 { 3 } else { i })).collect()),
            ));
        }),
        &[],
        &["column 'id'", "row 21", "repeats row 3"],
    );
    assert_bad_input(
        "conf.parquet",
        with_columns(|c| {
            let values: Vec<Option<f32>> = (0..40)
                .map(|i| Some(if i == 2 { 1.5 } else { 0.5 }))
                .collect();
            c.push((
                "confidence",
                std::sync::Arc::new(arrow::array::Float32Array::from(values)),
            ));
        }),
        &[],
        &["column 'confidence'", "row 2", "outside [0, 1]"],
    );
}

#[test]
fn unreadable_files_fail_cleanly() {
    assert_bad_input(
        "empty.parquet",
        |p| std::fs::write(p, b"").unwrap(),
        &[],
        &["empty.parquet", "empty"],
    );
    assert_bad_input(
        "notes.parquet",
        |p| std::fs::write(p, b"hello, world\n").unwrap(),
        &[],
        &["notes.parquet", "not a Parquet or Arrow"],
    );
    assert_bad_input(
        "cut.parquet",
        |p| {
            with_columns(|_| {})(p);
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap();
        },
        &[],
        &["cut.parquet", "Parquet"],
    );
    assert_bad_input("missing.parquet", |_| {}, &[], &["missing.parquet"]);
    assert_bad_input(
        "norows.parquet",
        |p| {
            let columns = small_columns(40)
                .into_iter()
                .map(|(n, a)| (n, a.slice(0, 0)))
                .collect();
            write_parquet(p, &batch(columns));
        },
        &[],
        &["no rows"],
    );
}

#[test]
fn caption_bank_of_another_dimension_is_rejected() {
    let dir = temp_dir();
    let cache = temp_dir();
    let data = path(&dir, "data.parquet");
    write_parquet(&data, &batch(small_columns(40)));
    let bank = path(&dir, "bank.parquet");
    write_parquet(
        &bank,
        &batch(vec![
            ("text", strings(vec![Some("a photo of a thing")])),
            ("embedding", fixed_list(3, vec![0.1, 0.2, 0.3])),
        ]),
    );
    let out = faultline(
        &[
            "report",
            data.to_str().unwrap(),
            "--captions",
            bank.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("bank.parquet")
            && message.contains("column 'embedding'")
            && message.contains("3 dimensions")
            && message.contains("have 4"),
        "{message}"
    );
}

#[test]
fn outputs_into_missing_folders_fail_without_writing() {
    let dir = temp_dir();
    let cache = temp_dir();
    let data = path(&dir, "data.parquet");
    write_parquet(&data, &batch(small_columns(40)));
    let out_file = dir.path().join("no/such/folder/out.csv");
    let out = faultline(
        &[
            "export",
            data.to_str().unwrap(),
            "--class",
            "0",
            "--hardest",
            "5",
            "--out",
            out_file.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("output folder does not exist"),
        "{}",
        stderr(&out)
    );
    let same = faultline(
        &[
            "export",
            data.to_str().unwrap(),
            "--class",
            "0",
            "--hardest",
            "5",
            "--out",
            data.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(same.status.code(), Some(2));
}

#[test]
fn bit_flipped_files_never_panic() {
    let dir = temp_dir();
    let cache = temp_dir();
    let clean = path(&dir, "clean.parquet");
    write_parquet(&clean, &batch(small_columns(200)));
    let bytes = std::fs::read(&clean).unwrap();
    let flipped = path(&dir, "flipped.parquet");
    let mut outcomes = [0usize; 2];
    for k in 1..40 {
        let mut copy = bytes.clone();
        let at = 4 + (k * 7919) % (bytes.len() - 8);
        copy[at] ^= 0x5a;
        std::fs::write(&flipped, &copy).unwrap();
        let out = faultline(
            &[
                "report",
                flipped.to_str().unwrap(),
                "--no-cache",
                "--format",
                "json",
            ],
            cache.path(),
        );
        let message = stderr(&out);
        assert!(!message.contains("panicked"), "flip at {at}: {message}");
        match out.status.code() {
            Some(0) => outcomes[0] += 1,
            Some(2) => {
                outcomes[1] += 1;
                assert!(message.contains("flipped.parquet"), "{message}");
            }
            other => panic!("flip at {at}: exit {other:?}: {message}"),
        }
    }
    assert!(outcomes[1] > 0, "some flips must be detected: {outcomes:?}");
}

#[test]
fn data_larger_than_memory_fails_early_and_says_what_to_do() {
    let dir = temp_dir();
    let cache = temp_dir();
    let data = path(&dir, "small.parquet");
    write_parquet(&data, &batch(small_columns(40)));
    let arrow_path = path(&dir, "small.arrow");
    write_arrow(&arrow_path, &batch(small_columns(40)));
    let run = |input: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(["report", input.to_str().unwrap()])
            .env("FAULTLINE_CACHE_DIR", cache.path())
            // 40 rows x 4 dims x 4 bytes = 640 bytes needed.
            .env("FAULTLINE_MEMORY_LIMIT", "600")
            .output()
            .unwrap()
    };
    let out = run(&data);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("small.parquet"), "{message}");
    assert!(
        message.contains("need 0.0 GB") && message.contains("Arrow IPC"),
        "{message}"
    );
    // The memory-mapped format needs no room for the embeddings.
    let out = run(&arrow_path);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Without a terminal, doctor still says what it can (and that the explorer cannot open here),
/// and exits 0; `faultline doctor` is a command, not a dataset path.
#[test]
fn doctor_without_a_terminal_says_why() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("doctor")
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .env_remove("TERM_PROGRAM")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("TERM=xterm-256color"), "{text}");
    assert!(text.contains("not a terminal"), "{text}");
    assert!(text.contains("colours           256 (TERM)"), "{text}");
    assert!(
        !text.contains("test picture"),
        "no picture without a terminal: {text}"
    );
}

/// Every line of README's abridged report (all but the "..." lines) is a line the program
/// prints now.
#[test]
fn the_readme_report_sample_is_the_current_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("Abridged output of `faultline demo --report`:")
        .unwrap();
    let body = &readme[start..];
    let open = body.find("```\n").unwrap() + 4;
    let close = open + body[open..].find("```\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = run_ok(&["demo", "--report"], cache.path());
    let printed = stdout(&out);
    let lines: Vec<&str> = printed.lines().collect();
    for line in body[open..close].lines() {
        if line.trim() == "..." {
            continue;
        }
        assert!(
            lines.contains(&line),
            "README.md shows a line the program no longer prints: {line:?}\n{printed}"
        );
    }
}

/// Mistakes in options are errors in every mode: a bad theme or config file with the demo's
/// report (which never opens the explorer), intervene with neither action.
#[test]
fn option_mistakes_are_errors_in_every_mode() {
    let cache = tempfile::tempdir().unwrap();
    let out = faultline(&["demo", "--report", "--theme", "nope"], cache.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown theme 'nope'"),
        "{}",
        stderr(&out)
    );
    let config = cache.path().join("config.toml");
    std::fs::write(&config, "colour = 3\n").unwrap();
    let out = faultline(
        &["demo", "--report", "--config", config.to_str().unwrap()],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("config.toml"), "{}", stderr(&out));
    let out = faultline(&["intervene", "x.parquet", "--out", "y.csv"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--weights SCHEME") && stderr(&out).contains("--select K"));
}

/// `faultline embed templates` prints the built-in templates as a file `--input` takes.
#[test]
fn embed_templates_prints_the_built_in_file() {
    let cache = tempfile::tempdir().unwrap();
    let out = run_ok(&["embed", "templates"], cache.path());
    let text = stdout(&out);
    let parsed: toml::Value = toml::from_str(&text).expect("valid TOML");
    assert!(parsed.get("template").is_some() && parsed.get("words").is_some());
}
