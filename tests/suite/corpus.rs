//! The bad-input corpus beyond datasets (tests/cli.rs holds the 22 dataset cases): caption banks,
//! caption templates and lists, model folders, images, image lists, config and theme files, and
//! command-line values, NumPy embeddings, clip-retrieval and Hugging Face folders. Every case is generated here, then run through the binary: exit code 2,
//! a message naming the file (and the column, key or row where one applies), no panic, no output
//! file and no temporary file left behind.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    name: &'static str,
    args: Vec<String>,
    expected: Vec<&'static str>,
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn copy_model(from: &str, to: &Path) {
    std::fs::create_dir_all(to.join("onnx")).unwrap();
    for f in [
        "tokenizer.json",
        "tokenizer_config.json",
        "preprocessor_config.json",
    ] {
        std::fs::copy(fixture().join(from).join(f), to.join(f)).unwrap();
    }
    for f in ["vision_model.onnx", "text_model.onnx"] {
        std::fs::copy(
            fixture().join(from).join("onnx").join(f),
            to.join("onnx").join(f),
        )
        .unwrap();
    }
}

/// A PNG header claiming 100,000 x 100,000 pixels (a decompression bomb's calling card).
fn png_bomb() -> Vec<u8> {
    let mut image = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(
            &mut std::io::Cursor::new(&mut image),
            image::ImageFormat::Png,
        )
        .unwrap();
    // IHDR width and height are the 8 bytes after "IHDR" (offset 16); its CRC is recomputed so
    // the header reads as valid and only the size gives it away.
    image[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    image[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&image[12..29]);
    image[29..33].copy_from_slice(&crc.to_be_bytes());
    image
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn cases(dir: &Path) -> Vec<Case> {
    let data = dir.join("demo.parquet");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = |name: &str| s(&out.join(name));
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let bank = |name: &str, csv: &str| -> PathBuf {
        // Caption banks are Parquet; build them from a tiny table.
        use arrow::array::{ArrayRef, FixedSizeListArray, Float32Array, RecordBatch, StringArray};
        use arrow::datatypes::{DataType, Field};
        use std::sync::Arc;
        let rows: Vec<(&str, &str, f32)> = csv
            .lines()
            .map(|l| {
                let mut p = l.split('|');
                (
                    p.next().unwrap(),
                    p.next().unwrap(),
                    p.next().unwrap().parse().unwrap(),
                )
            })
            .collect();
        let dim = 256;
        let values: Vec<f32> = rows.iter().flat_map(|r| vec![r.2; dim]).collect();
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let embedding =
            FixedSizeListArray::new(item, dim as i32, Arc::new(Float32Array::from(values)), None);
        let mut columns: Vec<(&str, ArrayRef)> = vec![("embedding", Arc::new(embedding))];
        if rows[0].0 != "-" {
            columns.push((
                "text",
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            ));
        }
        columns.push((
            "class",
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
        ));
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        path
    };
    let model = dir.join("model");
    copy_model("separate", &model);
    let broken_model = |name: &str, file: &str, bytes: &[u8]| -> PathBuf {
        let path = dir.join(name);
        copy_model("separate", &path);
        std::fs::write(path.join(file), bytes).unwrap();
        path
    };
    let image = write("images/ok.png", &{
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(9, 7, image::Rgb([1, 2, 3]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    });
    let _ = image;
    write("images/empty.jpg", b"");
    write("images/bomb.png", &png_bomb());
    write("images/garbage.png", b"\x89PNG\r\n\x1a\n this is not a png");
    let list = |name: &str, body: &[u8]| write(name, &[b"image,label\n".as_slice(), body].concat());
    // `embed images` of the image folder with a model folder that has one file broken.
    let embed_broken = |model: &str, file: &str, bytes: &[u8], out: &str| {
        args(&[
            "embed",
            "images",
            "--model",
            &s(&broken_model(model, file, bytes)),
            "--input",
            &s(&dir.join("images")),
            "--out",
            &o(out),
        ])
    };
    // `embed images --strict` on a one-image list: the first bad image must stop the job.
    let strict_embed = |list_name: &str, body: &[u8], out: &str| {
        args(&[
            "embed",
            "images",
            "--strict",
            "--model",
            &s(&model),
            "--input",
            &s(&list(list_name, body)),
            "--out",
            &o(out),
        ])
    };
    let long_name = format!("images/{}.png", "x".repeat(5000));

    let theme = write(
        "bad-theme.toml",
        b"background = \"#000000\"\nsparkle = \"#ff00ff\"\n",
    );
    let not_toml = write("not-toml.toml", b"this is = = not toml");
    let config_action = write("config-action.toml", b"[keys]\nx = \"teleport\"\n");
    let config_key = write("config-key.toml", b"[keys]\n\"hyper-q\" = \"quit\"\n");
    let config_field = write("config-field.toml", b"colour = \"pink\"\n");

    let mut cases = vec![
        Case {
            name: "caption bank without a text column",
            args: args(&[
                "report",
                &s(&data),
                "--captions",
                &s(&bank("notext.parquet", "-|dog|0.1")),
                "--out",
                &o("r1.txt"),
            ]),
            expected: vec!["notext.parquet", "'text'"],
        },
        Case {
            name: "caption bank naming an unknown class",
            args: args(&[
                "report",
                &s(&data),
                "--captions",
                &s(&bank(
                    "unknown.parquet",
                    "a photo of a dog|dog|0.1\na photo of a yeti|yeti|0.2",
                )),
                "--out",
                &o("r2.txt"),
            ]),
            expected: vec!["unknown.parquet", "'class'", "row 1", "yeti"],
        },
        Case {
            name: "caption bank with a NaN embedding",
            args: args(&[
                "report",
                &s(&data),
                "--captions",
                &s(&bank("nan.parquet", "a photo of a dog|dog|0.1\nx|dog|NaN")),
                "--out",
                &o("r3.txt"),
            ]),
            expected: vec!["nan.parquet", "'embedding'", "row 1", "NaN"],
        },
        Case {
            name: "caption bank that is not Parquet",
            args: args(&[
                "report",
                &s(&data),
                "--captions",
                &s(&write("bank.txt", b"a photo of a dog\n")),
                "--out",
                &o("r4.txt"),
            ]),
            expected: vec!["bank.txt"],
        },
        Case {
            name: "theme with an unknown key",
            args: args(&["explore", &s(&data), "--theme", &s(&theme)]),
            expected: vec!["bad-theme.toml", "sparkle"],
        },
        Case {
            name: "theme that is not TOML",
            args: args(&["explore", &s(&data), "--theme", &s(&not_toml)]),
            expected: vec!["not-toml.toml"],
        },
        Case {
            name: "config binding an unknown action",
            args: args(&["explore", &s(&data), "--config", &s(&config_action)]),
            expected: vec!["config-action.toml", "teleport"],
        },
        Case {
            name: "config binding an unknown key",
            args: args(&["explore", &s(&data), "--config", &s(&config_key)]),
            expected: vec!["config-key.toml", "hyper-q"],
        },
        Case {
            name: "config with an unknown setting",
            args: args(&["explore", &s(&data), "--config", &s(&config_field)]),
            expected: vec!["config-field.toml", "colour"],
        },
        Case {
            name: "model folder that is empty",
            args: args(&[
                "embed",
                "images",
                "--model",
                &s(&dir.join("images")),
                "--input",
                &s(&dir.join("images")),
                "--out",
                &o("e1.parquet"),
            ]),
            expected: vec!["vision_model.onnx", "preprocessor_config.json"],
        },
        Case {
            name: "model graph that is not ONNX",
            args: embed_broken("m1", "onnx/vision_model.onnx", b"garbage", "e2.parquet"),
            expected: vec!["vision_model.onnx", "cannot load"],
        },
        Case {
            name: "preprocessor config that is not JSON",
            args: embed_broken("m2", "preprocessor_config.json", b"{", "e3.parquet"),
            expected: vec!["preprocessor_config.json", "not a preprocessor config"],
        },
        Case {
            name: "preprocessor config with a zero std",
            args: embed_broken(
                "m3",
                "preprocessor_config.json",
                br#"{"image_std": [0.2, 0, 0.2]}"#,
                "e4.parquet",
            ),
            expected: vec!["preprocessor_config.json", "zero"],
        },
        Case {
            name: "tokenizer that is not a tokenizer",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&broken_model("m4", "tokenizer.json", b"{\"model\": 3}")),
                "--input",
                &s(&write("c.txt", b"a dog\n")),
                "--out",
                &o("c1.parquet"),
            ]),
            expected: vec!["tokenizer.json", "not a usable tokenizer"],
        },
        Case {
            name: "zero-byte image with --strict",
            args: strict_embed("l1.csv", b"images/empty.jpg,dog\n", "e5.parquet"),
            expected: vec!["empty.jpg", "empty file"],
        },
        Case {
            name: "decompression bomb with --strict",
            args: strict_embed("l2.csv", b"images/bomb.png,dog\n", "e6.parquet"),
            expected: vec!["bomb.png", "over the limit"],
        },
        Case {
            name: "corrupt image with --strict",
            args: strict_embed("l3.csv", b"images/garbage.png,dog\n", "e7.parquet"),
            expected: vec!["garbage.png", "row 1 (line 2 of"],
        },
        Case {
            name: "very long image path with --strict",
            args: strict_embed(
                "l4.csv",
                format!("{long_name},dog\n").as_bytes(),
                "e8.parquet",
            ),
            expected: vec!["xxxxxxxx", "row 1 (line 2 of"],
        },
        Case {
            name: "image list that is not UTF-8",
            args: args(&[
                "embed",
                "images",
                "--model",
                &s(&model),
                "--input",
                &s(&list("l5.csv", b"images/caf\xe9.png,dog\n")),
                "--out",
                &o("e9.parquet"),
            ]),
            expected: vec!["l5.csv"],
        },
        Case {
            name: "image list without an image column",
            args: args(&[
                "embed",
                "images",
                "--model",
                &s(&model),
                "--input",
                &s(&write("l6.csv", b"path,label\na.png,dog\n")),
                "--out",
                &o("e10.parquet"),
            ]),
            expected: vec!["l6.csv", "'image'", "missing"],
        },
        Case {
            name: "image list with an empty path",
            args: args(&[
                "embed",
                "images",
                "--model",
                &s(&model),
                "--input",
                &s(&list("l7.csv", b"images/ok.png,dog\n,cat\n")),
                "--out",
                &o("e11.parquet"),
            ]),
            expected: vec!["l7.csv", "'image'", "row 1", "empty image path"],
        },
        Case {
            name: "a shard index past the count",
            args: args(&[
                "embed",
                "images",
                "--model",
                &s(&model),
                "--input",
                &s(&dir.join("images")),
                "--shard",
                "3/2",
                "--out",
                &o("e12.parquet"),
            ]),
            expected: vec!["3/2"],
        },
        Case {
            name: "caption templates using an undefined word list",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&model),
                "--input",
                &s(&write(
                    "t.toml",
                    b"[[template]]\ntext = \"a {size} {class}\"\n",
                )),
                "--dataset",
                &s(&data),
                "--out",
                &o("c2.parquet"),
            ]),
            expected: vec!["t.toml", "{size}"],
        },
        Case {
            name: "caption list that is not UTF-8",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&model),
                "--input",
                &s(&write("latin1.txt", b"caf\xe9 au lait\n")),
                "--out",
                &o("c3.parquet"),
            ]),
            expected: vec!["latin1.txt", "UTF-8"],
        },
        Case {
            name: "class names file that is empty",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&model),
                "--classes",
                &s(&write("classes.txt", b"\n\n")),
                "--out",
                &o("c4.parquet"),
            ]),
            expected: vec!["classes.txt", "empty"],
        },
    ];
    // Output into a folder nobody may write, root included.
    cases.push(Case {
        name: "report into a read-only folder",
        args: args(&[
            "report",
            &s(&data),
            "--out",
            "/proc/self/faultline-report.txt",
        ]),
        expected: vec!["/proc/self"],
    });
    // Output into a folder that does not exist.
    cases.push(Case {
        name: "embedding into a missing folder",
        args: args(&[
            "embed",
            "images",
            "--model",
            &s(&model),
            "--input",
            &s(&dir.join("images")),
            "--out",
            &s(&dir.join("nowhere/x.parquet")),
        ]),
        expected: vec!["nowhere"],
    });
    // FIFOs where files are expected: refused at once, never read (a read would block forever).
    let fifo = |name: &str| -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        crate::common::mkfifo(&path);
        path
    };
    let fifo_model = dir.join("m-fifo");
    copy_model("separate", &fifo_model);
    fifo("m-fifo/onnx/vision_model.onnx");
    let fifo_tokenizer = dir.join("m-fifo-tok");
    copy_model("separate", &fifo_tokenizer);
    fifo("m-fifo-tok/tokenizer.json");
    fifo("images/fifo.png");
    let embed_images = |model: &Path, input: &Path, out: &str| {
        args(&[
            "embed",
            "images",
            "--strict",
            "--model",
            &s(model),
            "--input",
            &s(input),
            "--out",
            &o(out),
        ])
    };
    cases.extend([
        Case {
            name: "a FIFO as the vision model",
            args: embed_images(&fifo_model, &dir.join("images"), "f1.parquet"),
            expected: vec!["vision_model.onnx", "FIFO"],
        },
        Case {
            name: "a FIFO as an image with --strict",
            args: strict_embed("l-fifo.csv", b"images/fifo.png,dog\n", "f2.parquet"),
            expected: vec!["fifo.png", "FIFO"],
        },
        Case {
            name: "a FIFO as the image list",
            args: embed_images(&model, &fifo("list.csv"), "f3.parquet"),
            expected: vec!["list.csv", "FIFO"],
        },
        Case {
            name: "a FIFO as the tokenizer",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&fifo_tokenizer),
                "--input",
                &s(&write("c-fifo.txt", b"a dog\n")),
                "--out",
                &o("f4.parquet"),
            ]),
            expected: vec!["tokenizer.json", "FIFO"],
        },
        Case {
            name: "a FIFO as the caption list",
            args: args(&[
                "embed",
                "captions",
                "--model",
                &s(&model),
                "--input",
                &s(&fifo("captions.txt")),
                "--out",
                &o("f5.parquet"),
            ]),
            expected: vec!["captions.txt", "FIFO"],
        },
        Case {
            name: "a FIFO as the explorer's config",
            args: args(&["explore", &s(&data), "--config", &s(&fifo("config.toml"))]),
            expected: vec!["config.toml", "FIFO"],
        },
        Case {
            name: "a FIFO as the theme",
            args: args(&["explore", &s(&data), "--theme", &s(&fifo("theme.toml"))]),
            expected: vec!["theme.toml", "FIFO"],
        },
    ]);
    cases.extend(numpy_cases(dir));
    cases.extend(hugging_face_cases(dir));
    cases
}

/// NumPy embeddings beside a metadata CSV (6 rows, ids 1-6), and clip-retrieval folders.
fn numpy_cases(dir: &Path) -> Vec<Case> {
    use crate::common::{npy, npy_f32, npy_ids};
    let np = dir.join("numpy");
    std::fs::create_dir_all(&np).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = np.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        s(&path)
    };
    let meta = write(
        "meta.csv",
        b"id,label,prediction,split\n1,cat,cat,val\n2,cat,dog,val\n3,dog,dog,val\n4,dog,cat,test\n5,cat,cat,test\n6,dog,dog,test\n",
    );
    let meta_without_ids = write(
        "noids.csv",
        b"label,prediction,split\ncat,cat,val\ncat,dog,val\ndog,dog,val\ndog,cat,test\ncat,cat,test\ndog,dog,test\n",
    );
    let values =
        |rows: usize| -> Vec<f32> { (0..rows * 4).map(|i| (i % 7) as f32 - 3.0).collect() };
    let five = write("five.npy", &npy_f32(5, 4, &values(5)));
    let ints = write("ints.npy", &npy("<i4", "(6, 4)", &[0u8; 6 * 4 * 4]));
    let mut short = npy_f32(6, 4, &values(6));
    short.truncate(short.len() - 10);
    let short = write("short.npy", &short);
    let flat = write("flat.npy", &npy("<f4", "(24,)", &[0u8; 24 * 4]));
    let mut nan_values = values(6);
    nan_values[2 * 4 + 3] = f32::NAN;
    let nan = write("nan.npy", &npy_f32(6, 4, &nan_values));
    let matched = write("matched.npy", &npy_f32(6, 4, &values(6)));
    write("matched.ids.npy", &npy_ids(&[1, 2, 3, 4, 5, 99]));
    let parquet_as_npy = write("table.npy", b"PAR1 this is not a NumPy file");
    let clip = np.join("clip");
    write("clip/img_emb/img_emb_0.npy", &npy_f32(6, 4, &values(6)));
    write("clip/img_emb/img_emb_1.npy", &npy_f32(6, 4, &values(6)));
    std::fs::create_dir_all(clip.join("metadata")).unwrap();
    std::fs::copy(
        dir.join("demo.parquet"),
        clip.join("metadata/metadata_0.parquet"),
    )
    .unwrap();
    // Two parts whose totals agree (6 + 6 rows of metadata, 5 + 7 embeddings) but whose rows
    // would shift between them.
    let shifted = np.join("shifted");
    write("shifted/img_emb/img_emb_0.npy", &npy_f32(5, 4, &values(5)));
    write("shifted/img_emb/img_emb_1.npy", &npy_f32(7, 4, &values(7)));
    let integer_part = np.join("intpart");
    write(
        "intpart/img_emb/img_emb_0.npy",
        &npy("<i4", "(6, 4)", &[0u8; 6 * 4 * 4]),
    );
    for (folder, part) in [("shifted", 0), ("shifted", 1), ("intpart", 0)] {
        let table = crate::common::batch(crate::common::small_columns(6)[1..].to_vec());
        let file = np.join(format!("{folder}/metadata/metadata_{part}.parquet"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        crate::common::write_parquet(&file, &table);
    }
    let report = |emb: &str, data: &str| args(&["report", data, "--embeddings", emb]);
    vec![
        Case {
            name: "npy with fewer rows than the metadata",
            args: report(&five, &meta),
            expected: vec![
                "meta.csv",
                "has 6 rows",
                "five.npy has 5 rows",
                "five.ids.npy",
            ],
        },
        Case {
            name: "npy of integers",
            args: report(&ints, &meta),
            expected: vec!["ints.npy", "float16, float32 or float64", "'<i4'"],
        },
        Case {
            name: "npy cut short",
            args: report(&short, &meta),
            expected: vec!["short.npy", "truncated", "96 bytes", "it holds 86"],
        },
        Case {
            name: "npy of one dimension",
            args: report(&flat, &meta),
            expected: vec!["flat.npy", "shape (24)", "rows x dim"],
        },
        Case {
            name: "npy with a NaN",
            args: report(&nan, &meta),
            expected: vec!["nan.npy", "row 2", "dimension 3", "NaN"],
        },
        Case {
            name: "npy ids that miss a metadata id",
            args: report(&matched, &meta),
            expected: vec![
                "meta.csv",
                "1 of its ids have no embedding",
                "matched.ids.npy",
                "id 6",
            ],
        },
        Case {
            name: "npy ids but no id column",
            args: report(&matched, &meta_without_ids),
            expected: vec!["noids.csv", "has no id column", "matched.ids.npy"],
        },
        Case {
            name: "not a npy at all",
            args: report(&parquet_as_npy, &meta),
            expected: vec!["table.npy", "not a NumPy .npy file"],
        },
        Case {
            name: "a CSV without --embeddings",
            args: args(&["report", &meta]),
            expected: vec!["meta.csv", "a CSV holds no embeddings", "--embeddings"],
        },
        Case {
            name: "clip-retrieval parts that do not pair",
            args: args(&["report", &s(&clip)]),
            expected: vec![
                "clip",
                "img_emb/ has parts [0, 1]",
                "metadata/ has parts [0]",
            ],
        },
        Case {
            name: "clip-retrieval parts whose rows do not pair",
            args: args(&["report", &s(&shifted)]),
            expected: vec!["img_emb_0.npy", "has 5 rows", "metadata_0.parquet has 6"],
        },
        Case {
            name: "clip-retrieval part of integers",
            args: args(&["report", &s(&integer_part)]),
            expected: vec!["img_emb_0.npy", "float16, float32 or float64"],
        },
    ]
}

/// Hugging Face `save_to_disk` folders, made from the fixtures that `datasets` wrote, then broken.
fn hugging_face_cases(dir: &Path) -> Vec<Case> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf");
    let hf = dir.join("hf");
    // A copy of a fixture folder, with `change` applied to it.
    let broken = |name: &str, from: &str, change: &dyn Fn(&Path)| -> String {
        let to = hf.join(name);
        copy_tree(&fixtures.join(from), &to);
        change(&to);
        s(&to)
    };
    let set = |file: &Path, text: &str| std::fs::write(file, text).unwrap();
    let shard = "data-00000-of-00001.arrow";
    let not_json = broken("notjson", "single", &|d| {
        set(&d.join("state.json"), "{\"_data_files\": [")
    });
    let no_files = broken("nofiles", "single", &|d| set(&d.join("state.json"), "{}"));
    let missing = broken("missing", "single", &|d| {
        std::fs::remove_file(d.join(shard)).unwrap()
    });
    let truncated = broken("truncated", "single", &|d| {
        let bytes = std::fs::read(d.join(shard)).unwrap();
        std::fs::write(d.join(shard), &bytes[..bytes.len() / 2]).unwrap();
    });
    let set_label_names = |d: &Path, names: &[&str]| {
        let file = d.join("dataset_info.json");
        let mut info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        info["features"]["label"]["names"] = serde_json::json!(names);
        set(&file, &info.to_string());
    };
    let few_names = broken("fewnames", "single", &|d| {
        set_label_names(d, &["cat", "dog"])
    });
    let names_differ = broken("namesdiffer", "dict", &|d| {
        set_label_names(&d.join("test"), &["cat", "dog", "wolf"])
    });
    let escaping_split = broken("escape", "dict", &|d| {
        set(
            &d.join("dataset_dict.json"),
            "{\"splits\": [\"train\", \"../../elsewhere\"]}",
        )
    });
    let report = |folder: &str| args(&["report", folder]);
    vec![
        Case {
            name: "hf state.json that is not JSON",
            args: report(&not_json),
            expected: vec!["notjson/state.json", "not readable JSON"],
        },
        Case {
            name: "hf state.json without shards",
            args: report(&no_files),
            expected: vec!["nofiles/state.json", "no '_data_files' list"],
        },
        Case {
            name: "hf shard missing",
            args: report(&missing),
            expected: vec!["missing/data-00000-of-00001.arrow", "No such file"],
        },
        Case {
            name: "hf shard cut short",
            args: report(&truncated),
            expected: vec!["truncated/data-00000-of-00001.arrow", "corrupt Arrow data"],
        },
        Case {
            name: "hf labels beyond the ClassLabel names",
            args: report(&few_names),
            expected: vec![
                "fewnames/data-00000-of-00001.arrow",
                "column 'label', row 2",
                "class index 2 is out of range: there are 2 class names",
            ],
        },
        Case {
            name: "hf splits whose ClassLabel names differ",
            args: report(&names_differ),
            expected: vec![
                "namesdiffer/test/dataset_info.json",
                "ClassLabel names differ",
            ],
        },
        Case {
            name: "hf split that is not a folder name",
            args: report(&escaping_split),
            expected: vec!["escape/dataset_dict.json", "not a folder name"],
        },
    ]
}

/// Copies the folder `from` (files and folders only) to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn every_bad_input_is_a_clear_error_with_nothing_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["demo", "--write", dir.path().to_str().unwrap()])
        .env("FAULTLINE_CACHE_DIR", cache.path())
        .status()
        .unwrap();
    assert!(status.success());
    let cases = cases(dir.path());
    // A case without expected words would pass with any message, however unclear.
    for case in &cases {
        assert!(!case.expected.is_empty(), "{}: nothing expected", case.name);
    }
    let mut failures = Vec::new();
    for case in &cases {
        let output = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(&case.args)
            .env("FAULTLINE_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(2) {
            problems.push(format!("exit {:?}", output.status.code()));
        }
        if message.contains("panicked") {
            problems.push("panicked".into());
        }
        for part in &case.expected {
            if !message.contains(part) {
                problems.push(format!("no '{part}'"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} — {}",
                case.name,
                problems.join(", "),
                message.trim()
            ));
        }
    }
    // Nothing written, not even a temporary file.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_symlink_loop_in_an_image_folder_ends() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images/dog");
    std::fs::create_dir_all(&images).unwrap();
    image::RgbImage::from_pixel(8, 8, image::Rgb([9, 9, 9]))
        .save(images.join("a.png"))
        .unwrap();
    std::os::unix::fs::symlink(dir.path().join("images"), images.join("loop")).unwrap();
    let list = faultline::embed::inputs::list_images(&dir.path().join("images")).unwrap();
    assert_eq!(
        list.len(),
        1,
        "the image once, the loop not followed forever"
    );
}
