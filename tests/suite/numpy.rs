//! Embeddings in NumPy files: `--embeddings EMB.npy` beside a CSV or Parquet metadata table
//! (matched by row order, or by id with `EMB.ids.npy`), and clip-retrieval's output folder. Each
//! gives the same report as the same data in one Parquet file. (Bad NumPy inputs are in the
//! corpus.)

use crate::common::*;
use faultline::data::write::write_dataset;
use faultline::data::Ids;
use faultline::demo::{generate_world, Attribute, ClassSpec, Demo, DemoOptions, Planted};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

fn world() -> Demo {
    let specs = vec![
        ClassSpec::new("tench", Planted::Hard(Attribute::Context(1))),
        ClassSpec::new("goldfish", Planted::Hard(Attribute::Colour(2))),
        ClassSpec::new("shark", Planted::Control),
    ];
    let mut demo = generate_world(
        &specs,
        &DemoOptions {
            seed: 4,
            dim: 64,
            per_split: [100, 200, 200, 0],
        },
    );
    demo.dataset.ids = Ids::Int(
        (0..demo.dataset.len() as i64)
            .map(|i| 5000 + 3 * i)
            .collect(),
    );
    // The metadata written below has no image column.
    demo.dataset.images = None;
    demo
}

/// The metadata of `rows` as a CSV a pandas user writes: class names, not indices.
fn metadata_csv(demo: &Demo, rows: impl Iterator<Item = usize>) -> String {
    let d = &demo.dataset;
    let name = |c: Option<u32>| c.map_or(String::new(), |c| d.class_names[c as usize].clone());
    let mut csv = String::from("id,label,prediction,split,confidence\n");
    for row in rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{}",
            d.ids.get(row),
            name(d.labels[row]),
            name(d.predictions.as_ref().unwrap()[row]),
            d.splits[row].name(),
            d.confidence.as_ref().unwrap()[row]
        );
    }
    csv
}

fn embeddings_npy(demo: &Demo, rows: &[usize]) -> Vec<u8> {
    let e = &demo.dataset.embeddings;
    let values: Vec<f32> = rows.iter().flat_map(|&r| e.row(r).to_vec()).collect();
    npy_f32(rows.len(), e.dim(), &values)
}

fn classes(out: &std::process::Output) -> Value {
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["classes"].clone()
}

fn report(args: &[&str], cache: &Path) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend(["--format", "json", "--no-cache"]);
    classes(&run_ok(&all, cache))
}

/// The same report, compared line by line so a failure names the first difference.
fn assert_same(got: &Value, expected: &Value) {
    let (got, expected) = (
        serde_json::to_string_pretty(got).unwrap(),
        serde_json::to_string_pretty(expected).unwrap(),
    );
    if got != expected {
        let first = got
            .lines()
            .zip(expected.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {i}: got {a} expected {b}"));
        panic!("the reports differ: {first:?}");
    }
}

#[test]
fn a_npy_beside_a_csv_reports_as_the_parquet_does() {
    let demo = world();
    let dir = temp_dir();
    let p = |name: &str| path(&dir, name).to_str().unwrap().to_string();
    write_dataset(&demo.dataset, &path(&dir, "all.parquet")).unwrap();
    let expected = report(&[&p("all.parquet")], dir.path());

    let n = demo.dataset.len();
    let rows: Vec<usize> = (0..n).collect();
    std::fs::write(p("emb.npy"), embeddings_npy(&demo, &rows)).unwrap();
    std::fs::write(p("meta.csv"), metadata_csv(&demo, 0..n)).unwrap();
    // The class order of the Parquet file's metadata (a CSV of names would sort them).
    std::fs::write(p("names.txt"), demo.dataset.class_names.join("\n")).unwrap();
    let by_order = report(
        &[
            &p("meta.csv"),
            "--embeddings",
            &p("emb.npy"),
            "--classes",
            &p("names.txt"),
        ],
        dir.path(),
    );
    assert_same(&by_order, &expected);

    // Embeddings in another order, with their ids beside them: matched by id.
    let reversed: Vec<usize> = (0..n).rev().collect();
    std::fs::write(p("shuffled.npy"), embeddings_npy(&demo, &reversed)).unwrap();
    let Ids::Int(ids) = &demo.dataset.ids else {
        unreachable!()
    };
    let reversed_ids: Vec<i64> = reversed.iter().map(|&r| ids[r]).collect();
    std::fs::write(p("shuffled.ids.npy"), npy_ids(&reversed_ids)).unwrap();
    let by_id = report(
        &[
            &p("meta.csv"),
            "--embeddings",
            &p("shuffled.npy"),
            "--classes",
            &p("names.txt"),
        ],
        dir.path(),
    );
    assert_same(&by_id, &expected);
}

#[test]
fn a_clip_retrieval_folder_reports_as_the_parquet_does() {
    let demo = world();
    let dir = temp_dir();
    let p = |name: &str| path(&dir, name).to_str().unwrap().to_string();
    write_dataset(&demo.dataset, &path(&dir, "all.parquet")).unwrap();
    std::fs::write(p("names.txt"), demo.dataset.class_names.join("\n")).unwrap();
    let expected = report(
        &[&p("all.parquet"), "--classes", &p("names.txt")],
        dir.path(),
    );

    // Three parts, numbered 0, 1 and 10 so that their order is numeric, not alphabetical.
    let n = demo.dataset.len();
    let cuts = [0, n / 3, 2 * n / 3, n];
    let root = path(&dir, "clip");
    std::fs::create_dir_all(root.join("img_emb")).unwrap();
    std::fs::create_dir_all(root.join("metadata")).unwrap();
    for (part, number) in [0, 1, 10].iter().enumerate() {
        let rows: Vec<usize> = (cuts[part]..cuts[part + 1]).collect();
        std::fs::write(
            root.join(format!("img_emb/img_emb_{number}.npy")),
            embeddings_npy(&demo, &rows),
        )
        .unwrap();
        let d = &demo.dataset;
        let Ids::Int(ids) = &d.ids else {
            unreachable!()
        };
        let name = |c: Option<u32>| c.map(|c| d.class_names[c as usize].as_str());
        write_parquet(
            &root.join(format!("metadata/metadata_{number}.parquet")),
            &batch(vec![
                ("id", ints(rows.iter().map(|&r| Some(ids[r])).collect())),
                (
                    "label",
                    strings(rows.iter().map(|&r| name(d.labels[r])).collect()),
                ),
                (
                    "prediction",
                    strings(
                        rows.iter()
                            .map(|&r| name(d.predictions.as_ref().unwrap()[r]))
                            .collect(),
                    ),
                ),
                (
                    "split",
                    strings(rows.iter().map(|&r| Some(d.splits[r].name())).collect()),
                ),
                (
                    "confidence",
                    std::sync::Arc::new(arrow::array::Float32Array::from(
                        rows.iter()
                            .map(|&r| d.confidence.as_ref().unwrap()[r])
                            .collect::<Vec<f32>>(),
                    )),
                ),
            ]),
        );
    }
    let clip = report(
        &[root.to_str().unwrap(), "--classes", &p("names.txt")],
        dir.path(),
    );
    assert_same(&clip, &expected);
}

/// A CSV whose image column is empty on every row read to infer its types (the train rows come
/// first and have no images) holds paths further down: they are read as paths, the empty cells as
/// no image. (It was typed Null, and the first path an error.)
#[test]
fn a_csv_column_empty_on_its_first_rows_holds_text_later() {
    let dir = temp_dir();
    let rows = 12_000;
    let mut csv = String::from("label,prediction,split,image\n");
    for i in 0..rows {
        let (split, image) = if i < 11_000 {
            ("val", String::new())
        } else {
            ("test", format!("images/{i}.png"))
        };
        let class = if i % 2 == 0 { "cat" } else { "dog" };
        let prediction = if i % 7 == 0 { "dog" } else { class };
        writeln!(csv, "{class},{prediction},{split},{image}").unwrap();
    }
    let meta = path(&dir, "meta.csv");
    std::fs::write(&meta, csv).unwrap();
    let values: Vec<f32> = (0..rows * 4)
        .map(|i| ((i * 37) % 11) as f32 - 5.0)
        .collect();
    let emb = path(&dir, "emb.npy");
    std::fs::write(&emb, npy_f32(rows, 4, &values)).unwrap();
    let options = faultline::data::LoadOptions {
        embeddings_file: Some(emb),
        ..Default::default()
    };
    let d = faultline::data::load_dataset(&meta, &options).unwrap();
    assert_eq!(d.image(0), None, "an empty cell is no image");
    assert_eq!(d.image(10_999), None);
    assert_eq!(d.image(11_000), Some(&dir.path().join("images/11000.png")));
    assert_eq!(
        d.image(rows - 1),
        Some(&dir.path().join("images/11999.png"))
    );
}
