//! `--format html`: one self-contained page. It parses (as XML, so strictly), references nothing
//! outside itself, has a picture for every row it shows (or a visible placeholder when the image
//! is missing), and escapes what the data says.

use crate::common::*;
use serde_json::Value;

/// Parses the page and checks that it stands alone; returns (pictures, placeholders, figures).
fn check_page(page: &str) -> (usize, usize, usize) {
    let doc = roxmltree::Document::parse_with_options(
        page,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the page is well-formed");
    let (mut pictures, mut placeholders, mut figures) = (0, 0, 0);
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(name, "script" | "link" | "iframe" | "object" | "embed"),
            "<{name}> in a page that must stand alone"
        );
        for attribute in node.attributes() {
            let value = attribute.value().trim_start();
            assert!(
                !(value.starts_with("http:")
                    || value.starts_with("https:")
                    || value.starts_with("//")
                    || value.starts_with("file:")),
                "<{name} {}=\"{value}\"> points outside the page",
                attribute.name()
            );
        }
        match name {
            "img" => {
                let src = node.attribute("src").unwrap();
                assert!(src.starts_with("data:image/jpeg;base64,"), "{src}");
                pictures += 1;
            }
            "div" if node.attribute("class") == Some("missing") => placeholders += 1,
            "figure" => figures += 1,
            _ => {}
        }
    }
    assert!(!page.contains("url("), "CSS must not load anything");
    (pictures, placeholders, figures)
}

#[test]
fn the_demo_page_stands_alone_with_a_picture_per_row() {
    let dir = temp_dir();
    let page_path = path(&dir, "demo.html");
    let env_cache = dir.path();
    run_ok(
        &[
            "demo",
            "--format",
            "html",
            "--out",
            page_path.to_str().unwrap(),
        ],
        env_cache,
    );
    let page = std::fs::read_to_string(&page_path).unwrap();
    let (pictures, placeholders, figures) = check_page(&page);
    // As many rows as the report shows: the same demo as JSON.
    let json = run_ok(&["demo", "--format", "json"], env_cache);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let rows: usize = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["hardest"].as_array().unwrap().len() + c["easiest"].as_array().unwrap().len())
        .sum();
    assert_eq!(figures, rows);
    assert_eq!(pictures, rows, "every test row of the demo has a picture");
    assert_eq!(placeholders, 0);
    for class in report["classes"].as_array().unwrap() {
        let name = class["name"].as_str().unwrap();
        assert!(page.contains(&format!("<h2>{name}</h2>")), "{name}");
    }
    assert!(page.contains("a photo of a red dog in the snow"));
    // 10 classes of 20 thumbnails each stay small.
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
}

/// A dataset named by a relative path: its images are found beside it, as the loader finds them
/// (the page once joined the folder twice and showed only placeholders).
#[test]
fn a_relative_dataset_path_finds_its_images() {
    let dir = temp_dir();
    run_ok(
        &["demo", "--write", path(&dir, "run").to_str().unwrap()],
        dir.path(),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "report",
            "run/demo.parquet",
            "--format",
            "html",
            "--top-rows",
            "3",
        ])
        .current_dir(dir.path())
        .env("FAULTLINE_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (pictures, placeholders, figures) = check_page(&stdout(&out));
    assert_eq!(placeholders, 0);
    assert_eq!(pictures, figures);
    assert_eq!(
        figures,
        10 * (3 + 3),
        "3 hardest and 3 easiest of 10 classes"
    );
}

#[test]
fn missing_images_are_placeholders_and_names_are_escaped() {
    use faultline::data::write::write_dataset;
    use faultline::demo::{generate_world, Attribute, ClassSpec, DemoOptions, Planted};
    let mut demo = generate_world(
        &[
            ClassSpec::new("<b>cat</b> & \"co\"", Planted::Hard(Attribute::Context(1))),
            ClassSpec::new("dog\u{1b}[31m", Planted::Control),
        ],
        &DemoOptions {
            seed: 3,
            dim: 32,
            per_split: [60, 150, 150, 0],
        },
    );
    // Image paths that do not exist.
    if let Some(images) = demo.dataset.images.as_mut() {
        for p in images.iter_mut().flatten() {
            *p = std::path::PathBuf::from("nowhere").join(&*p);
        }
    }
    let dir = temp_dir();
    let data = path(&dir, "data.parquet");
    write_dataset(&demo.dataset, &data).unwrap();
    let out = run_ok(
        &["report", data.to_str().unwrap(), "--format", "html"],
        dir.path(),
    );
    let page = stdout(&out);
    let (pictures, placeholders, figures) = check_page(&page);
    assert_eq!(pictures, 0);
    assert_eq!(placeholders, figures);
    assert!(figures > 0);
    assert!(
        page.contains("&lt;b&gt;cat&lt;/b&gt; &amp; &quot;co&quot;"),
        "escaped"
    );
    assert!(
        page.contains("dog\\x1b[31m"),
        "control characters shown, not sent"
    );
    assert!(!page.contains('\u{1b}'));
}

#[test]
fn diff_refuses_html_before_any_work() {
    let dir = temp_dir();
    let out = faultline(&["demo", "--diff", "--format", "html"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("html is a report format"),
        "{}",
        stderr(&out)
    );
}
