//! Embedding against the Python reference: the tiny CLIP fixture made by
//! tests/fixtures/clip/make_tiny_clip.py (transformers' processor and tokenizer + onnxruntime).
//!
//! The tests that run a model need ONNX Runtime: `pip install onnxruntime` in the active Python
//! (or ORT_DYLIB_PATH); .ci/run installs it. Without it they fail with the message that says so.

use faultline::embed::model::{Device, ImageModel, TextModel};
use faultline::embed::preprocess::{resize_and_crop, to_tensor, ImageConfig};
use faultline::embed::tokenize::TextTokenizer;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faultline() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
    let cache = std::env::temp_dir().join("faultline-embed-test-cache");
    command.env("FAULTLINE_CACHE_DIR", cache);
    command
}

fn run(command: &mut Command) -> (Output, String) {
    let output = command.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

fn run_ok(command: &mut Command) -> String {
    let (output, stderr) = run(command);
    assert!(output.status.success(), "{command:?}: {stderr}");
    stderr
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn matrix(value: &Value) -> Vec<Vec<f32>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn image_names() -> Vec<String> {
    expected()["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn reference_pixels() -> Vec<f32> {
    let bytes = std::fs::read(fixture().join("pixel_values.f32")).unwrap();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn our_pixels(config: &ImageConfig, name: &str) -> Vec<f32> {
    let image =
        faultline::embed::preprocess::load_rgb(&fixture().join("images").join(name)).unwrap();
    let mut out = vec![0.0; config.tensor_len()];
    to_tensor(&resize_and_crop(&image, config), config, &mut out);
    out
}

#[test]
fn preprocessing_matches_the_transformers_clip_processor() {
    let config =
        ImageConfig::from_file(&fixture().join("separate/preprocessor_config.json")).unwrap();
    assert_eq!((config.crop_width, config.shortest_edge), (64, Some(64)));
    let reference = reference_pixels();
    let len = config.tensor_len();
    for (i, name) in image_names().iter().enumerate() {
        let ours = our_pixels(&config, name);
        let theirs = &reference[i * len..(i + 1) * len];
        let diff = max_difference(&ours, theirs);
        // PNG and JPEG (libjpeg-turbo's decoder, as PIL) decode to the same pixels, and the
        // resize is PIL's own fixed-point algorithm: the values must be identical.
        assert_eq!(diff, 0.0, "{name}: max difference {diff}");
    }
}

#[test]
fn tokens_match_the_transformers_clip_tokenizer() {
    let expected = expected();
    let tokenizer = TextTokenizer::from_dir(&fixture().join("separate")).unwrap();
    assert_eq!(tokenizer.context, 77);
    let captions: Vec<String> = expected["captions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let batch = tokenizer.encode(&captions).unwrap();
    for (i, caption) in captions.iter().enumerate() {
        let ids: Vec<i64> = expected["input_ids"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let mask: Vec<i64> = expected["attention_mask"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(
            &batch.ids[i * 77..(i + 1) * 77],
            &ids[..],
            "ids of {caption:?}"
        );
        assert_eq!(
            &batch.mask[i * 77..(i + 1) * 77],
            &mask[..],
            "mask of {caption:?}"
        );
    }
}

fn init_runtime() {
    faultline::embed::runtime::init(None)
        .expect("ONNX Runtime is needed for this test: pip install onnxruntime (see .ci/run)");
}

#[test]
fn image_embeddings_match_onnxruntime_in_both_layouts() {
    init_runtime();
    let expected = matrix(&expected()["image_embeds"]);
    let config =
        ImageConfig::from_file(&fixture().join("separate/preprocessor_config.json")).unwrap();
    let names = image_names();
    for layout in ["separate", "combined"] {
        let model = ImageModel::open(&fixture().join(layout), Device::Cpu, Some(1)).unwrap();
        let pixels: Vec<f32> = names.iter().flat_map(|n| our_pixels(&config, n)).collect();
        let (values, dim) = model.embed(&pixels, names.len()).unwrap();
        assert_eq!(dim, expected[0].len());
        for (i, name) in names.iter().enumerate() {
            let diff = max_difference(&values[i * dim..(i + 1) * dim], &expected[i]);
            assert!(diff <= 1e-4, "{layout} {name}: max difference {diff}");
        }
    }
}

#[test]
fn text_embeddings_match_onnxruntime_in_both_layouts() {
    init_runtime();
    let expected_json = expected();
    let expected = matrix(&expected_json["text_embeds"]);
    let captions: Vec<String> = expected_json["captions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for layout in ["separate", "combined"] {
        let model = TextModel::open(&fixture().join(layout), Device::Cpu, Some(1)).unwrap();
        let (values, dim) = model.embed(&captions).unwrap();
        for (i, caption) in captions.iter().enumerate() {
            let diff = max_difference(&values[i * dim..(i + 1) * dim], &expected[i]);
            assert!(diff <= 1e-4, "{layout} {caption:?}: max difference {diff}");
        }
    }
}

#[test]
fn a_model_folder_without_its_files_names_what_is_missing() {
    let empty = tempfile::tempdir().unwrap();
    let out = empty.path().join("out.parquet");
    let (output, stderr) = run(faultline()
        .args(["embed", "images", "--model"])
        .arg(empty.path())
        .args(["--input"])
        .arg(fixture().join("images"))
        .arg("--out")
        .arg(&out));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("vision_model.onnx") && stderr.contains("preprocessor_config.json"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_missing_onnx_runtime_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(faultline()
        .env("ORT_DYLIB_PATH", dir.path().join("libonnxruntime.so"))
        .args(["embed", "captions", "--model"])
        .arg(fixture().join("separate"))
        .args(["--input", "x.txt", "--out"])
        .arg(dir.path().join("c.parquet")));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pip install onnxruntime"), "{stderr}");
}

/// A small ImageFolder-like world: two classes, three splits, odd sizes; a predictions CSV
/// naming every image plus a zero-byte one and a corrupt one.
fn world(dir: &Path) -> PathBuf {
    let mut rows = vec!["image,label,prediction,split".to_string()];
    let mut n = 0u32;
    for split in ["train", "val", "test"] {
        for (class, base) in [("cat", 200u8), ("dog", 40u8)] {
            let folder = dir.join("images").join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for i in 0..12u32 {
                n += 1;
                let (w, h) = (20 + (n * 7) % 50, 15 + (n * 11) % 60);
                let image = image::RgbImage::from_fn(w, h, |x, y| {
                    let v = base.wrapping_add(((x * 3 + y * 5 + i * 17) % 50) as u8);
                    image::Rgb([v, v / 2, 255 - v])
                });
                let name = format!("{i}.png");
                image.save(folder.join(&name)).unwrap();
                // The model gets a third of each class wrong.
                let prediction = if i % 3 == 0 {
                    if class == "cat" {
                        "dog"
                    } else {
                        "cat"
                    }
                } else {
                    class
                };
                rows.push(format!(
                    "images/{split}/{class}/{name},{class},{prediction},{split}"
                ));
            }
        }
    }
    std::fs::write(dir.join("images/empty.png"), b"").unwrap();
    std::fs::write(
        dir.join("images/corrupt.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    rows.push("images/empty.png,cat,cat,test".into());
    rows.push("images/corrupt.jpg,dog,dog,test".into());
    let list = dir.join("predictions.csv");
    std::fs::write(&list, rows.join("\n") + "\n").unwrap();
    list
}

fn embed_images(list: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut command = faultline();
    command
        .args(["embed", "images", "--quiet", "--model"])
        .arg(fixture().join("separate"))
        .arg("--input")
        .arg(list)
        .arg("--out")
        .arg(out)
        .args(["--chunk-rows", "16", "--batch-size", "8"])
        .args(extra);
    command
}

fn parquet_rows(path: &Path) -> usize {
    let file = std::fs::File::open(path).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    reader.metadata().file_metadata().num_rows() as usize
}

#[test]
fn images_and_captions_embed_then_report_end_to_end() {
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    let list = world(dir.path());
    let data = dir.path().join("data.parquet");
    let stderr = run_ok(&mut embed_images(&list, &data, &[]));
    assert!(
        stderr.contains("empty.png") && stderr.contains("corrupt.jpg"),
        "{stderr}"
    );
    assert!(stderr.contains("2 unreadable images skipped"), "{stderr}");
    assert_eq!(parquet_rows(&data), 72);
    // The skipped image is named by its row, counted from 1, and its line in the list.
    let listed = std::fs::read_to_string(&list).unwrap();
    let line = listed
        .lines()
        .position(|l| l.contains("empty.png"))
        .unwrap()
        + 1;
    let expected = format!("skipped row {} (line {line} of ", line - 1);
    assert!(stderr.contains(&expected), "{expected:?} in {stderr}");

    let captions = dir.path().join("captions.parquet");
    let stderr = run_ok(
        faultline()
            .args(["embed", "captions", "--quiet", "--model"])
            .arg(fixture().join("combined"))
            .arg("--dataset")
            .arg(&data)
            .arg("--out")
            .arg(&captions),
    );
    // As many captions as the built-in templates make for the two classes, and said so.
    let expected = faultline::embed::captions::expand_templates(
        faultline::embed::captions::DEFAULT_TEMPLATES,
        &["cat".to_string(), "dog".to_string()],
    )
    .unwrap()
    .len();
    assert!(
        stderr.contains(&format!("({expected} captions, d = ")),
        "{expected} captions in {stderr}"
    );
    assert_eq!(parquet_rows(&captions), expected);

    let output = faultline()
        .arg("report")
        .arg(&data)
        .arg("--captions")
        .arg(&captions)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cat", "dog"]);
    // Image paths are stored relative to the output, so previews find them.
    let loaded = faultline::data::load_dataset(&data, &Default::default()).unwrap();
    assert!(loaded.image(0).unwrap().exists());
    // The list named them relatively: so does the output, even in another folder (with ..).
    let elsewhere = dir.path().join("out");
    std::fs::create_dir(&elsewhere).unwrap();
    let moved = elsewhere.join("data.parquet");
    run_ok(&mut embed_images(&list, &moved, &[]));
    let file = std::fs::File::open(&moved).unwrap();
    let batch = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let images = batch
        .column_by_name("image")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap()
        .value(0)
        .to_string();
    assert!(images.starts_with("../images/"), "{images}");
    let loaded = faultline::data::load_dataset(&moved, &Default::default()).unwrap();
    assert!(loaded.image(0).unwrap().exists());
}

#[test]
fn strict_stops_at_the_first_bad_image_and_names_it() {
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    let list = world(dir.path());
    let out = dir.path().join("strict.parquet");
    let (output, stderr) = run(&mut embed_images(&list, &out, &["--strict"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("empty.png"), "{stderr}");
    assert!(
        !stderr.contains("skipped"),
        "the image --strict stops on is an error, not skipped: {stderr}"
    );
    assert!(!out.exists());
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "kills the job through a test hook: cargo test --features test-hooks (scripts/test.sh)"
)]
fn a_crashed_run_resumes_and_gives_the_same_file() {
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    let list = world(dir.path());
    let whole = dir.path().join("whole.parquet");
    run_ok(&mut embed_images(&list, &whole, &[]));

    let resumed = dir.path().join("resumed.parquet");
    let (output, _) =
        run(embed_images(&list, &resumed, &[]).env("FAULTLINE_TEST_CRASH_AFTER_CHUNK", "1"));
    assert!(!output.status.success());
    assert!(!resumed.exists(), "no output until every chunk is done");
    let parts = dir.path().join(".resumed.parquet.parts");
    assert!(parts.join("chunk-000001.parquet").exists());
    assert!(!parts.join("chunk-000002.parquet").exists());

    let stderr = run_ok(&mut embed_images(&list, &resumed, &[]));
    assert!(stderr.contains("32 rows from an earlier run"), "{stderr}");
    assert!(!parts.exists(), "the chunks are cleaned up");
    assert_eq!(
        std::fs::read(&whole).unwrap(),
        std::fs::read(&resumed).unwrap()
    );
}

#[test]
fn shards_split_the_list_and_load_as_one_dataset() {
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    let list = world(dir.path());
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    for shard in ["0/3", "1/3", "2/3"] {
        run_ok(&mut embed_images(&list, &shards, &["--shard", shard]));
    }
    let mut files: Vec<String> = std::fs::read_dir(&shards)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "part-00000-of-00003.parquet",
            "part-00001-of-00003.parquet",
            "part-00002-of-00003.parquet"
        ]
    );
    let dataset = faultline::data::load_dataset(&shards, &Default::default()).unwrap();
    assert_eq!(dataset.len(), 72);
    assert_eq!(dataset.class_names, ["cat", "dog"]);
}

#[test]
fn a_folder_in_imagefolder_layout_fills_split_and_label() {
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    std::fs::remove_file(dir.path().join("images/empty.png")).unwrap();
    std::fs::remove_file(dir.path().join("images/corrupt.jpg")).unwrap();
    let out = dir.path().join("folder.parquet");
    let mut command = faultline();
    command
        .args(["embed", "images", "--quiet", "--model"])
        .arg(fixture().join("combined"))
        .arg("--input")
        .arg(dir.path().join("images"))
        .arg("--out")
        .arg(&out);
    run_ok(&mut command);
    let file = std::fs::File::open(&out).unwrap();
    let batches: Vec<arrow::array::RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["image", "label", "split", "embedding"]);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 72);
}

#[test]
fn the_explorer_scores_a_typed_caption_with_the_real_text_model() {
    use faultline::ui::app::App;
    use faultline::ui::triage::Triage;
    use faultline::ui::typed_caption::{CaptionWorker, TypedResult};
    use std::sync::Arc;
    init_runtime();
    let dir = tempfile::tempdir().unwrap();
    let list = world(dir.path());
    let data = dir.path().join("data.parquet");
    run_ok(&mut embed_images(&list, &data, &[]));
    let dataset = Arc::new(faultline::data::load_dataset(&data, &Default::default()).unwrap());
    let model = faultline::analysis::fit_model(&dataset, &Default::default()).unwrap();
    let mut app = App::new(dataset, None, Triage::in_memory());
    app.set_model(Arc::new(model), false);
    let (outbox, inbox) = std::sync::mpsc::channel();
    app.set_caption_worker(CaptionWorker::spawn(
        faultline::cli::embed::open_text_model(faultline::cli::embed::TextModelArgs {
            model_dir: fixture().join("separate"),
            ort_lib: None,
        }),
        outbox,
    ));
    use faultline::ui::action::Action;
    app.update(Action::TypeCaption);
    for c in "a photo of a white cat".chars() {
        app.update(Action::Insert(c));
    }
    app.update(Action::Confirm);
    while matches!(app.typed.as_ref().unwrap().result, TypedResult::Pending) {
        match inbox.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(faultline::ui::workers::Message::Caption(response)) => {
                app.take_typed_caption(response)
            }
            Ok(_) => {}
            Err(_) => panic!("no answer from the text model"),
        }
    }
    match app.typed.clone().unwrap().result {
        TypedResult::Scored { score, near, .. } => {
            assert!(score.is_finite());
            // Each class has 12 test images, fewer than K = 50.
            assert_eq!(near.unwrap().k, 12);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn explore_with_a_model_folder_lacking_the_text_tower_fails_before_opening() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(faultline()
        .arg("explore")
        .arg(fixture().join("expected.json"))
        .arg("--model")
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("text_model.onnx") && stderr.contains("tokenizer.json"),
        "{stderr}"
    );
}
