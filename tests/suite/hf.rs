//! Hugging Face `datasets` folders as `save_to_disk` writes them (fixtures made by the real
//! library: tests/fixtures/hf/make_hf.py): a DatasetDict's splits become faultline's splits, the
//! ClassLabel names its class names, and every value reads as the script wrote it.

use crate::common::*;
use faultline::data::{load_dataset, Ids, LoadOptions, Split};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

/// Row i of split s, as make_hf.py writes it.
fn expected(s: i64, i: i64) -> (i64, u32, u32, Vec<f32>) {
    let label = (i % 3) as u32;
    let prediction = if i % 5 == 0 {
        ((i + 1) % 3) as u32
    } else {
        label
    };
    let embedding = (0..8)
        .map(|k| (label as f64 + 0.1 * k as f64 + 0.01 * i as f64) as f32)
        .collect();
    (1000 * s + i, label, prediction, embedding)
}

#[test]
fn a_dataset_dict_reads_with_its_splits_and_class_names() {
    let d = load_dataset(&fixture("dict"), &LoadOptions::default()).unwrap();
    assert_eq!(d.class_names, ["cat", "dog", "fox"]);
    assert_eq!(d.len(), 90);
    let Ids::Int(ids) = &d.ids else {
        panic!("{:?}", d.ids)
    };
    for (s, split) in [Split::Train, Split::Val, Split::Test]
        .into_iter()
        .enumerate()
    {
        for i in 0..30 {
            let row = s * 30 + i;
            let (id, label, prediction, embedding) = expected(s as i64, i as i64);
            assert_eq!(d.splits[row], split, "row {row}");
            assert_eq!(ids[row], id);
            assert_eq!(d.labels[row], Some(label));
            assert_eq!(d.predictions.as_ref().unwrap()[row], Some(prediction));
            assert_eq!(d.correct[row], Some(label == prediction));
            assert_eq!(d.embeddings.row(row), embedding.as_slice(), "row {row}");
        }
    }
}

#[test]
fn a_single_dataset_reads_and_the_commands_take_it() {
    let d = load_dataset(&fixture("single"), &LoadOptions::default()).unwrap();
    assert_eq!(d.class_names, ["cat", "dog", "fox"]);
    assert_eq!(d.len(), 30);
    // No split column and no DatasetDict: faultline's own val/test split.
    assert!(d
        .splits
        .iter()
        .all(|s| matches!(s, Split::Val | Split::Test)));
    let cache = temp_dir();
    let out = run_ok(
        &[
            "report",
            fixture("dict").to_str().unwrap(),
            "--format",
            "json",
        ],
        cache.path(),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cat", "dog", "fox"]);
}

#[test]
fn a_state_file_naming_a_shard_outside_the_folder_is_refused() {
    let dir = temp_dir();
    let folder = path(&dir, "evil");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("state.json"),
        r#"{"_data_files": [{"filename": "../../etc/passwd"}]}"#,
    )
    .unwrap();
    let out = faultline(&["report", folder.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a file of this folder"),
        "{}",
        stderr(&out)
    );
}
