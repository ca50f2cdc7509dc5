//! Hostile input and faults (issue 11): escape sequences in data, special files where files are
//! expected, signals, edited caches, full disks and standard output, numbers at the edges of
//! their types. Each test reproduces one defect found by a probe and checks its fix.

use crate::common::*;
use arrow::array::{ArrayRef, DictionaryArray, Float64Array, Int64Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Int8Type};
use serde_json::Value;
use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

/// Runs `command`, failing the test (and killing it) when it has not ended within `limit`.
fn within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{command:?} hung for {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn faultline_within(args: &[&str], cache: &Path) -> Output {
    let mut command = bin();
    command.args(args).env("FAULTLINE_CACHE_DIR", cache);
    within(command, Duration::from_secs(60))
}

fn expect_input_error(out: &Output, parts: &[&str]) {
    let message = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    for part in parts {
        assert!(message.contains(part), "expected '{part}' in: {message}");
    }
}

fn with_metadata(
    batch: arrow::array::RecordBatch,
    key: &str,
    value: &str,
) -> arrow::array::RecordBatch {
    let schema = batch
        .schema()
        .as_ref()
        .clone()
        .with_metadata(HashMap::from([(key.to_string(), value.to_string())]));
    batch.with_schema(Arc::new(schema)).unwrap()
}

/// Bytes a terminal would act on: C0 (but the line feed), DEL, C1, bidi overrides.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

const OSC_TITLE: &str = "\x1b]0;pwned\x07";
const OSC_CLIPBOARD: &str = "\x1b]52;c;cm0gLXJmIH4=\x07";

/// String labels that retitle the window and write the clipboard, ids with CSI, a caption bank
/// with a bidi override and a carriage return.
fn write_crafted_dataset(dir: &Path) -> (PathBuf, PathBuf) {
    let dog = format!("dog{OSC_TITLE}");
    let cat = format!("cat\r{OSC_CLIPBOARD}\u{9b}2J\u{202e}");
    let mut columns = small_columns(80);
    let names = |v: Vec<Option<i64>>| -> Vec<Option<String>> {
        v.into_iter()
            .map(|c| c.map(|c| if c == 0 { dog.clone() } else { cat.clone() }))
            .collect()
    };
    let as_ints = |a: &ArrayRef| -> Vec<Option<i64>> {
        a.as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .iter()
            .collect()
    };
    let labels = names(as_ints(&columns[1].1));
    let predictions = names(as_ints(&columns[2].1));
    columns[1].1 = Arc::new(arrow::array::StringArray::from(labels));
    columns[2].1 = Arc::new(arrow::array::StringArray::from(predictions));
    let ids: Vec<String> = (0..80).map(|i| format!("img{i}\x1b[31m")).collect();
    columns.push(("id", Arc::new(arrow::array::StringArray::from(ids))));
    let data = dir.join("crafted.parquet");
    write_parquet(&data, &batch(columns));
    let texts = vec![
        format!("a photo of a {dog}"),
        format!("a {OSC_CLIPBOARD} photo\r| forged | row |"),
        "a photo \u{202e}gnikool".to_string(),
    ];
    let embeddings: Vec<f32> = (0..12).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
    let bank = batch(vec![
        (
            "text",
            Arc::new(arrow::array::StringArray::from(texts)) as ArrayRef,
        ),
        ("embedding", fixed_list(4, embeddings)),
    ]);
    let captions = dir.join("captions.parquet");
    write_parquet(&captions, &bank);
    (data, captions)
}

#[test]
fn strings_from_data_never_reach_a_terminal_raw() {
    let dir = temp_dir();
    let cache = temp_dir();
    let (data, captions) = write_crafted_dataset(dir.path());
    let (data, captions) = (data.to_str().unwrap(), captions.to_str().unwrap());
    for format in ["table", "markdown"] {
        let out = run_ok(
            &["report", data, "--captions", captions, "--format", format],
            cache.path(),
        );
        let text = stdout(&out);
        assert_eq!(raw_controls(&text), Vec::<char>::new(), "{format}:\n{text}");
        assert!(text.contains("dog\\x1b]0;pwned\\x07"), "{format}:\n{text}");
        assert!(text.contains("\\u{202e}"), "{format}:\n{text}");
        assert!(!text.contains('\r'), "{format}");
    }
    // Markdown: a carriage return or pipe in a caption cannot add cells or rows.
    let out = run_ok(
        &[
            "report",
            data,
            "--captions",
            captions,
            "--format",
            "markdown",
        ],
        cache.path(),
    );
    // Every row of every table has its header's number of cells.
    let mut header_cells = None;
    let mut tables = 0;
    for line in stdout(&out).lines() {
        if !line.starts_with('|') {
            header_cells = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        match header_cells {
            None => {
                header_cells = Some(cells);
                tables += 1;
            }
            Some(expected) => assert_eq!(cells, expected, "{line}"),
        }
    }
    assert!(tables >= 2, "the summary table and the class's tables");
    // JSON keeps the exact strings (escaped by JSON itself), with nothing raw in its bytes.
    let out = run_ok(
        &["report", data, "--captions", captions, "--format", "json"],
        cache.path(),
    );
    let text = stdout(&out);
    assert_eq!(raw_controls(&text), Vec::<char>::new());
    let report: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&format!("dog{OSC_TITLE}").as_str()),
        "{names:?}"
    );
    // Error messages: a bad split value and a file name with escapes.
    let mut columns = small_columns(20);
    let splits: Vec<Option<&str>> = (0..20)
        .map(|i| Some(if i == 7 { "\x1b]0;x\x07test" } else { "val" }))
        .collect();
    columns.push(("split", strings(splits)));
    let bad = dir.path().join("bad\x1b[2J.parquet");
    write_parquet(&bad, &batch(columns));
    let out = faultline(&["report", bad.to_str().unwrap()], cache.path());
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert_eq!(raw_controls(&message), Vec::<char>::new(), "{message}");
    assert!(message.contains("bad\\x1b[2J.parquet"), "{message}");
    assert!(message.contains("'\\x1b]0;x\\x07test'"), "{message}");
}

#[test]
fn outputs_to_devices_fifos_and_symlinks_are_written_not_replaced() {
    let cache = temp_dir();
    let dir = temp_dir();
    // A device stays the device (as root, a rename over it would replace it). The test makes
    // its own null device where it may (root), never touching the system's /dev/null, and
    // always a symlink to one, as /dev/stdout is.
    let device = dir.path().join("null");
    let c = std::ffi::CString::new(device.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; makedev(1, 3) is the null device.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) } == 0;
    let null_link = dir.path().join("stdout-like");
    let null: &Path = if made {
        &device
    } else {
        Path::new("/dev/null")
    };
    std::os::unix::fs::symlink(null, &null_link).unwrap();
    if made {
        run_ok(
            &[
                "demo",
                "--format",
                "json",
                "--out",
                device.to_str().unwrap(),
            ],
            cache.path(),
        );
        let meta = std::fs::symlink_metadata(&device).unwrap();
        assert!(meta.file_type().is_char_device(), "the device was replaced");
    }
    run_ok(
        &[
            "demo",
            "--format",
            "json",
            "--out",
            null_link.to_str().unwrap(),
        ],
        cache.path(),
    );
    let meta = std::fs::symlink_metadata(&null_link).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "the link to a device was replaced"
    );
    assert!(std::fs::metadata(&null_link)
        .unwrap()
        .file_type()
        .is_char_device());
    // A FIFO gets the report and stays a FIFO.
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read_to_string(reader_path).unwrap());
    let out = faultline_within(
        &["demo", "--format", "json", "--out", fifo.to_str().unwrap()],
        cache.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = reader.join().unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_ok());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    // A socket cannot take a file: a clear error, and the socket stays.
    let socket = dir.path().join("report.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let out = faultline(
        &[
            "demo",
            "--format",
            "json",
            "--out",
            socket.to_str().unwrap(),
        ],
        cache.path(),
    );
    expect_input_error(&out, &["report.sock", "is a socket"]);
    assert!(std::fs::symlink_metadata(&socket)
        .unwrap()
        .file_type()
        .is_socket());
    // A symlink to a regular file: the file is replaced, the link stays.
    let target = dir.path().join("target.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    run_ok(
        &["demo", "--format", "json", "--out", link.to_str().unwrap()],
        cache.path(),
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(serde_json::from_str::<Value>(&written).is_ok());
}

#[test]
fn fifos_and_devices_as_inputs_are_refused_at_once() {
    let dir = temp_dir();
    let cache = temp_dir();
    let fifo = dir.path().join("data.parquet");
    mkfifo(&fifo);
    let out = faultline_within(&["report", fifo.to_str().unwrap()], cache.path());
    expect_input_error(&out, &["data.parquet", "FIFO", "regular file"]);
    let out = faultline_within(&["report", "/dev/zero"], cache.path());
    expect_input_error(&out, &["/dev/zero", "character device"]);
    // A FIFO named like a shard inside a shard folder.
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    write_parquet(&shards.join("a.parquet"), &batch(small_columns(40)));
    mkfifo(&shards.join("b.parquet"));
    let out = faultline_within(&["report", shards.to_str().unwrap()], cache.path());
    expect_input_error(&out, &["b.parquet", "FIFO"]);
    // --captions and --classes.
    let data = dir.path().join("ok.parquet");
    write_parquet(&data, &batch(small_columns(40)));
    for (flag, name) in [
        ("--captions", "captions.fifo"),
        ("--classes", "classes.fifo"),
    ] {
        let fifo = dir.path().join(name);
        mkfifo(&fifo);
        let args = [
            "report",
            data.to_str().unwrap(),
            flag,
            fifo.to_str().unwrap(),
        ];
        expect_input_error(&faultline_within(&args, cache.path()), &[name, "FIFO"]);
    }
    // A FIFO where the cache entry would be: the fit runs afresh and the FIFO stays.
    run_ok(&["report", data.to_str().unwrap()], cache.path());
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::remove_file(&entries[0]).unwrap();
    mkfifo(&entries[0]);
    let out = faultline_within(
        &["report", data.to_str().unwrap(), "--format", "json"],
        cache.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fit"]["cached"], false);
    assert!(std::fs::symlink_metadata(&entries[0])
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn huge_class_indices_are_a_clear_error_not_an_abort() {
    for huge in [2_147_483_647i64, 5_000_000, 1_000_000] {
        let dir = temp_dir();
        let cache = temp_dir();
        let file = dir.path().join("huge.parquet");
        let mut columns = small_columns(40);
        let mut predictions: Vec<Option<i64>> = (0..40).map(|i| Some(i % 2)).collect();
        predictions[9] = Some(huge);
        columns[2].1 = ints(predictions);
        write_parquet(&file, &batch(columns));
        let out = faultline_within(&["report", file.to_str().unwrap()], cache.path());
        expect_input_error(
            &out,
            &[
                "column 'prediction'",
                "row 9",
                &format!("class index {huge}"),
                "--classes",
            ],
        );
    }
}

#[test]
fn uint64_values_read_as_what_they_are() {
    let dir = temp_dir();
    let cache = temp_dir();
    // A label of 2^64-1: an index far too large, not a null (not even on a pool row).
    let mut columns = small_columns(40);
    let labels: Vec<Option<u64>> = (0..40)
        .map(|i| Some(if i == 6 { u64::MAX } else { i % 2 }))
        .collect();
    columns[1].1 = Arc::new(UInt64Array::from(labels));
    let splits: Vec<Option<&str>> = (0..40)
        .map(|i| Some(if i == 6 { "pool" } else { "val" }))
        .collect();
    columns.push(("split", strings(splits)));
    let file = dir.path().join("u64_label.parquet");
    write_parquet(&file, &batch(columns));
    let out = faultline(&["report", file.to_str().unwrap()], cache.path());
    expect_input_error(
        &out,
        &[
            "column 'label'",
            "row 6",
            "18446744073709551615",
            "too large",
        ],
    );
    // uint64 ids beyond int64 are kept exactly.
    let mut columns = small_columns(40);
    let ids: Vec<u64> = (0..40).map(|i| u64::MAX - i).collect();
    columns.push(("id", Arc::new(UInt64Array::from(ids))));
    let file = dir.path().join("u64_id.parquet");
    write_parquet(&file, &batch(columns));
    let out = run_ok(
        &["report", file.to_str().unwrap(), "--format", "json"],
        cache.path(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["hardest"].as_array().unwrap().iter())
        .map(|r| r["id"].as_u64().expect("an integer id"))
        .collect();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|&id| id > i64::MAX as u64), "{ids:?}");
}

fn scaled_columns(n: usize, scale: f32) -> Vec<(&'static str, ArrayRef)> {
    let mut columns = small_columns(n);
    let list = columns[0]
        .1
        .as_any()
        .downcast_ref::<arrow::array::FixedSizeListArray>()
        .unwrap();
    let values: Vec<f32> = list
        .values()
        .as_any()
        .downcast_ref::<arrow::array::Float32Array>()
        .unwrap()
        .values()
        .iter()
        .map(|v| v * scale)
        .collect();
    columns[0].1 = fixed_list(4, values);
    columns
}

fn summary(report: &Value) -> Vec<(String, String, String)> {
    report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].to_string(),
                c["svm"]["c"].to_string(),
                format!(
                    "{:.6}",
                    c["svm"]["cv_balanced_accuracy"].as_f64().unwrap_or(-1.0)
                ),
            )
        })
        .collect()
}

#[test]
fn the_transform_is_scale_free_and_overflow_safe() {
    let dir = temp_dir();
    let cache = temp_dir();
    let mut reports = Vec::new();
    for (name, scale) in [("one", 1.0f32), ("tiny", 1e-13), ("huge", 1e37)] {
        let file = dir.path().join(format!("{name}.parquet"));
        write_parquet(&file, &batch(scaled_columns(200, scale)));
        let out = run_ok(
            &[
                "report",
                file.to_str().unwrap(),
                "--format",
                "json",
                "--no-cache",
            ],
            cache.path(),
        );
        let text = stdout(&out);
        assert!(!text.contains("\"decision_value\": null"), "{text}");
        reports.push(serde_json::from_str::<Value>(&text).unwrap());
    }
    assert!(
        reports[0]["classes"][0]["status"] == "fitted",
        "{}",
        reports[0]
    );
    assert_eq!(
        summary(&reports[0]),
        summary(&reports[1]),
        "scaled by 1e-13"
    );
    assert_eq!(summary(&reports[0]), summary(&reports[2]), "scaled by 1e37");
    for report in &reports {
        for class in report["classes"].as_array().unwrap() {
            for row in class["hardest"].as_array().unwrap() {
                assert!(row["decision_value"].is_f64(), "{row}");
            }
        }
    }
    // Values of ±3e38 (near float32's limit) give finite decision values.
    let n = 60;
    let values: Vec<f32> = (0..n * 4)
        .map(|i| if (i * 7919) % 3 == 0 { 3e38 } else { -3e38 })
        .collect();
    let mut columns = small_columns(n);
    columns[0].1 = fixed_list(4, values);
    let file = dir.path().join("edge.parquet");
    write_parquet(&file, &batch(columns));
    let out = run_ok(
        &["report", file.to_str().unwrap(), "--format", "json"],
        cache.path(),
    );
    assert!(
        !stdout(&out).contains("\"decision_value\": null"),
        "{}",
        stdout(&out)
    );
    // Embeddings constant on the statistics split: a clear error, not "no failure mode".
    let mut columns = small_columns(40);
    columns[0].1 = fixed_list(4, vec![0.5; 160]);
    let file = dir.path().join("constant.parquet");
    write_parquet(&file, &batch(columns));
    let out = faultline(&["report", file.to_str().unwrap()], cache.path());
    expect_input_error(
        &out,
        &["constant.parquet", "every embedding dimension is constant"],
    );
}

#[test]
fn an_edited_cache_entry_is_refitted_not_trusted() {
    let dir = temp_dir();
    let cache = temp_dir();
    let file = dir.path().join("data.parquet");
    write_parquet(&file, &batch(small_columns(200)));
    let args = ["report", file.to_str().unwrap(), "--format", "json"];
    let first: Value = serde_json::from_slice(&run_ok(&args, cache.path()).stdout).unwrap();
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let text = std::fs::read_to_string(&entry).unwrap();
    // Change one weight's first digit, leaving valid JSON behind.
    let at = text
        .find("\"w\":[")
        .or_else(|| text.find("\"weights\":["))
        .expect("weights in the entry");
    let digit = text[at..].find(|c: char| c.is_ascii_digit()).unwrap() + at;
    let mut bytes = text.into_bytes();
    bytes[digit] = if bytes[digit] == b'7' { b'3' } else { b'7' };
    std::fs::write(&entry, &bytes).unwrap();
    let second: Value = serde_json::from_slice(&run_ok(&args, cache.path()).stdout).unwrap();
    assert_eq!(
        second["fit"]["cached"], false,
        "the edited entry was trusted"
    );
    assert_eq!(first["classes"], second["classes"]);
    let third: Value = serde_json::from_slice(&run_ok(&args, cache.path()).stdout).unwrap();
    assert_eq!(third["fit"]["cached"], true, "the refit was cached again");
    // An empty FAULTLINE_CACHE_DIR means unset: nothing is written in the working folder.
    let work = temp_dir();
    let home = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["report", file.to_str().unwrap()])
        .current_dir(work.path())
        .env("FAULTLINE_CACHE_DIR", "")
        .env("HOME", home.path())
        .env_remove("XDG_CACHE_HOME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().collect();
    assert!(left.is_empty(), "written into the working folder: {left:?}");
}

#[test]
fn a_full_stdout_is_an_error_and_a_closed_pipe_is_not() {
    let cache = temp_dir();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["demo", "--format", "table"])
        .env("FAULTLINE_CACHE_DIR", cache.path())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("writing to standard output"),
        "{}",
        stderr(&out)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["demo", "--format", "json", "--top-rows", "2000"])
        .env("FAULTLINE_CACHE_DIR", cache.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn shards_must_name_their_classes_alike() {
    let dir = temp_dir();
    let cache = temp_dir();
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    let a = with_metadata(batch(small_columns(40)), "class_names", r#"["ant", "bee"]"#);
    let b = with_metadata(batch(small_columns(40)), "class_names", r#"["bee","ant"]"#);
    write_parquet(&shards.join("part-0.parquet"), &a);
    write_parquet(&shards.join("part-1.parquet"), &b);
    let out = faultline(&["report", shards.to_str().unwrap()], cache.path());
    expect_input_error(
        &out,
        &[
            "part-1.parquet",
            "part-0.parquet",
            "class_names",
            "'bee', 'ant'",
        ],
    );
    // The same names, written differently, agree.
    let b = with_metadata(
        batch(small_columns(40)),
        "class_names",
        r#"[ "ant","bee" ]"#,
    );
    write_parquet(&shards.join("part-1.parquet"), &b);
    run_ok(&["report", shards.to_str().unwrap()], cache.path());
}

#[test]
fn compressed_feather_and_categorical_labels_are_read() {
    let dir = temp_dir();
    let cache = temp_dir();
    let plain = dir.path().join("plain.arrow");
    let data = batch(small_columns(200));
    write_arrow(&plain, &data);
    let expected: Value = serde_json::from_slice(
        &run_ok(
            &["report", plain.to_str().unwrap(), "--format", "json"],
            cache.path(),
        )
        .stdout,
    )
    .unwrap();
    for (name, compression) in [
        ("lz4.feather", arrow::ipc::CompressionType::LZ4_FRAME),
        ("zstd.feather", arrow::ipc::CompressionType::ZSTD),
    ] {
        let file = dir.path().join(name);
        let options = arrow::ipc::writer::IpcWriteOptions::default()
            .try_with_compression(Some(compression))
            .unwrap();
        let mut writer = arrow::ipc::writer::FileWriter::try_new_with_options(
            std::fs::File::create(&file).unwrap(),
            &data.schema(),
            options,
        )
        .unwrap();
        writer.write(&data).unwrap();
        writer.finish().unwrap();
        let out = run_ok(
            &["report", file.to_str().unwrap(), "--format", "json"],
            cache.path(),
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["classes"], expected["classes"], "{name}");
    }
    // pandas' categorical integer labels: Dictionary(Int8, Int64).
    let mut columns = small_columns(200);
    let labels: Vec<i64> = (0..200).map(|i| i % 2).collect();
    let keys = arrow::array::Int8Array::from_iter_values(labels.iter().map(|&l| l as i8));
    let values: ArrayRef = Arc::new(Int64Array::from(vec![0, 1]));
    let dictionary = DictionaryArray::<Int8Type>::try_new(keys, values).unwrap();
    columns[1].1 = Arc::new(dictionary);
    let file = dir.path().join("categorical.parquet");
    write_parquet(&file, &batch(columns));
    let out = run_ok(
        &["report", file.to_str().unwrap(), "--format", "json"],
        cache.path(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["classes"], expected["classes"]);
}

#[test]
fn demo_write_on_a_full_disk_leaves_nothing() {
    let dir = temp_dir();
    let cache = temp_dir();
    let target = dir.path().join("demo");
    // A 1 MB file size limit makes the dataset's write fail as a full disk would; SIGXFSZ is
    // ignored so the write returns an error instead of killing the process.
    let out = in_bash(
        "trap '' XFSZ; ulimit -f 2000",
        &format!("demo --write {}", target.display()),
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // A folder with the user's files in it is never written into.
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    let out = faultline(&["demo", "--write", target.to_str().unwrap()], cache.path());
    expect_input_error(&out, &["not empty"]);
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
}

/// faultline run by bash after `setup` (limits, umask, signal dispositions it inherits).
fn in_bash(setup: &str, args: &str, cache: &Path) -> Output {
    let script = format!("{setup}; exec {} {args}", env!("CARGO_BIN_EXE_faultline"));
    Command::new("bash")
        .args(["-c", &script])
        .env("FAULTLINE_CACHE_DIR", cache)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn outputs_get_the_umask_mode_and_replaced_files_keep_theirs() {
    let dir = temp_dir();
    let cache = temp_dir();
    let out_file = dir.path().join("report.md");
    let out = in_bash(
        "umask 027",
        &format!("demo --format markdown --out {}", out_file.display()),
        cache.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        mode(&out_file),
        0o640,
        "a new file gets 0666 less the umask"
    );
    for kept in [0o644, 0o600, 0o664] {
        std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(kept)).unwrap();
        run_ok(
            &[
                "demo",
                "--format",
                "markdown",
                "--out",
                out_file.to_str().unwrap(),
            ],
            cache.path(),
        );
        assert_eq!(mode(&out_file), kept);
    }
}

#[test]
fn outputs_inside_an_input_folder_are_refused() {
    let dir = temp_dir();
    let cache = temp_dir();
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    write_parquet(&shards.join("a.parquet"), &batch(small_columns(100)));
    let inside = shards.join("x.parquet");
    let out = faultline(
        &[
            "export",
            shards.to_str().unwrap(),
            "--class",
            "0",
            "--hardest",
            "5",
            "--out",
            inside.to_str().unwrap(),
        ],
        cache.path(),
    );
    expect_input_error(&out, &["x.parquet", "inside the input folder"]);
    assert!(!inside.exists());
    run_ok(&["report", shards.to_str().unwrap()], cache.path());
}

#[test]
fn a_signal_while_writing_leaves_no_temporary_file() {
    let dir = temp_dir();
    let cache = temp_dir();
    // Fit once, so the runs below spend their time writing.
    let warm = dir.path().join("warm.json");
    run_ok(
        &["demo", "--format", "json", "--out", warm.to_str().unwrap()],
        cache.path(),
    );
    std::fs::remove_file(&warm).unwrap();
    let out_file = dir.path().join("report.json");
    let partials = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    };
    let mut caught = 0;
    for signal in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGTERM,
        libc::SIGINT,
    ] {
        let mut child = bin()
            .args(["demo", "--format", "json", "--top-rows", "3000", "--out"])
            .arg(&out_file)
            .env("FAULTLINE_CACHE_DIR", cache.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Signal it the moment its temporary file appears.
        let start = Instant::now();
        while partials(dir.path()).is_empty() && start.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let seen = !partials(dir.path()).is_empty();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        if seen && !status.success() {
            caught += 1;
        }
        assert_eq!(
            partials(dir.path()),
            Vec::<String>::new(),
            "signal {signal}"
        );
    }
    assert!(caught >= 1, "no run was caught while writing");
    // A stale temporary file of a process that is gone is removed by the next write there.
    let stale = dir.path().join(".faultline-2147483646-AbCdEf.partial");
    std::fs::write(&stale, "half").unwrap();
    let foreign = dir.path().join(".faultline-notes.partial");
    std::fs::write(&foreign, "not ours").unwrap();
    run_ok(
        &[
            "demo",
            "--format",
            "markdown",
            "--out",
            out_file.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert!(!stale.exists(), "stale temporary file kept");
    assert!(
        foreign.exists(),
        "a file that is not one of ours was removed"
    );
}

#[test]
fn messages_name_the_file_of_each_row_and_the_real_problem() {
    let dir = temp_dir();
    let cache = temp_dir();
    // A float64 value beyond float32.
    let mut columns = small_columns(20);
    let mut values: Vec<f64> = (0..80).map(|i| (i % 7) as f64).collect();
    values[4 * 3 + 1] = 1e300;
    let item = Arc::new(Field::new("item", DataType::Float64, true));
    columns[0].1 = Arc::new(arrow::array::FixedSizeListArray::new(
        item,
        4,
        Arc::new(Float64Array::from(values)),
        None,
    ));
    let file = dir.path().join("wide.parquet");
    write_parquet(&file, &batch(columns));
    let out = faultline(&["report", file.to_str().unwrap()], cache.path());
    expect_input_error(&out, &["row 3", "1e300", "overflows float32"]);
    // An id repeated across shards: both rows counted within their own files.
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    for (k, offset) in [(0, 0i64), (1, 100)] {
        let mut columns = small_columns(40);
        let mut ids: Vec<Option<i64>> = (0..40).map(|i| Some(i + offset)).collect();
        if k == 1 {
            ids[10] = Some(3);
        }
        columns.push(("id", ints(ids)));
        write_parquet(&shards.join(format!("part-{k}.parquet")), &batch(columns));
    }
    let out = faultline(&["report", shards.to_str().unwrap()], cache.path());
    expect_input_error(
        &out,
        &[
            "part-1.parquet, column 'id', row 10",
            "id 3 repeats row 3 of",
            "part-0.parquet",
        ],
    );
    // A byte order mark is not part of the first class name.
    let data = dir.path().join("ok.parquet");
    write_parquet(&data, &batch(small_columns(100)));
    let classes = dir.path().join("classes.txt");
    std::fs::write(&classes, "\u{feff}ant\nbee\n").unwrap();
    let out = run_ok(
        &[
            "report",
            data.to_str().unwrap(),
            "--classes",
            classes.to_str().unwrap(),
            "--format",
            "json",
        ],
        cache.path(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["classes"][0]["name"], "ant");
}

#[test]
fn a_corrupt_parquet_header_cannot_make_the_decoder_spin() {
    // The dataset fuzz target's slowest input (fuzz/run.sh, 2026-12-02): a page header claims a
    // list of about a million elements, and skipping them read past the end of the file once
    // each (987,537 reads, 0.75 s for 60 KB; a larger claim would take hours). Now the reader
    // gives up after a few reads at the end.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/parquet-reads-past-the-end.parquet");
    let cache = temp_dir();
    let out = faultline_within(&["report", fixture.to_str().unwrap()], cache.path());
    expect_input_error(
        &out,
        &[
            "parquet-reads-past-the-end.parquet",
            "the file ends where its headers say more follows",
        ],
    );
}
