//! Inputs are never modified: every subcommand runs on a read-only copy of a dataset, a caption
//! bank, a class list, images and a model folder, and every input byte is the same afterwards.
//! (Tests may run as root, which ignores file modes, so the bytes are what is checked.)

use crate::common::{run_ok, temp_dir};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
                out.insert(path, (Vec::new(), meta.permissions().mode()));
            } else {
                out.insert(
                    path.clone(),
                    (std::fs::read(&path).unwrap(), meta.permissions().mode()),
                );
            }
        }
    }
    out
}

fn make_read_only(root: &Path) {
    for (path, _) in snapshot(root) {
        let mode = if path.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o555)).unwrap();
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

#[test]
fn no_subcommand_changes_its_inputs() {
    let inputs = temp_dir();
    let outputs = temp_dir();
    let cache = temp_dir();
    let dir = inputs.path();
    run_ok(&["demo", "--write", dir.to_str().unwrap()], cache.path());
    std::fs::write(
        dir.join("classes.txt"),
        faultline::demo::CLASSES
            .iter()
            .map(|(name, _)| format!("{name}\n"))
            .collect::<String>(),
    )
    .unwrap();
    std::fs::write(dir.join("captions.txt"), "a photo in the snow\nat night\n").unwrap();
    // A model folder and an image list, for `embed`.
    let model = dir.join("model");
    std::fs::create_dir(&model).unwrap();
    for file in [
        "tokenizer.json",
        "tokenizer_config.json",
        "preprocessor_config.json",
    ] {
        std::fs::copy(fixture().join("separate").join(file), model.join(file)).unwrap();
    }
    std::fs::create_dir(model.join("onnx")).unwrap();
    for file in ["vision_model.onnx", "text_model.onnx"] {
        std::fs::copy(
            fixture().join("separate/onnx").join(file),
            model.join("onnx").join(file),
        )
        .unwrap();
    }
    let images: Vec<String> = std::fs::read_dir(dir.join("images/test"))
        .unwrap()
        .take(20)
        .map(|e| format!("images/test/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    std::fs::write(
        dir.join("list.csv"),
        format!(
            "image,label\n{}\n",
            images
                .iter()
                .map(|i| format!("{i},dog"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .unwrap();
    make_read_only(dir);
    let before = snapshot(dir);

    let data = dir.join("demo.parquet");
    let captions = dir.join("captions.parquet");
    let out = |name: &str| outputs.path().join(name);
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["report".into(), s(&data), "--captions".into(), s(&captions)],
        vec![
            "report".into(),
            s(&data),
            "--classes".into(),
            s(&dir.join("classes.txt")),
            "--format".into(),
            "json".into(),
            "--out".into(),
            s(&out("report.json")),
        ],
        vec![
            "export".into(),
            s(&data),
            "--class".into(),
            "dog".into(),
            "--hardest".into(),
            "20".into(),
            "--out".into(),
            s(&out("dog.csv")),
        ],
        vec![
            "intervene".into(),
            s(&data),
            "--weights".into(),
            "soft".into(),
            "--out".into(),
            s(&out("weights.parquet")),
        ],
        vec![
            "intervene".into(),
            s(&data),
            "--select".into(),
            "10".into(),
            "--out".into(),
            s(&out("select.csv")),
        ],
        vec![
            "embed".into(),
            "images".into(),
            "--quiet".into(),
            "--model".into(),
            s(&model),
            "--input".into(),
            s(&dir.join("list.csv")),
            "--out".into(),
            s(&out("embedded.parquet")),
        ],
        vec![
            "embed".into(),
            "captions".into(),
            "--quiet".into(),
            "--model".into(),
            s(&model),
            "--input".into(),
            s(&dir.join("captions.txt")),
            "--classes".into(),
            s(&dir.join("classes.txt")),
            "--out".into(),
            s(&out("bank.parquet")),
        ],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_ok(&args, cache.path());
    }
    assert!(before == snapshot(dir), "an input file changed");
    for name in [
        "report.json",
        "dog.csv",
        "weights.parquet",
        "select.csv",
        "embedded.parquet",
        "bank.parquet",
    ] {
        assert!(out(name).exists(), "{name} was not written");
    }
    // Let the temp dir be removed.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (path, _) in snapshot(dir) {
        if path.is_dir() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}
