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
    // As many rows as the report shows for its significant rankings: the same demo as JSON. A class whose
    // ranking is no better than chance (horse, the control) shows none, and says why.
    let json = run_ok(&["demo", "--format", "json"], env_cache);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let classes = report["classes"].as_array().unwrap();
    let is_finding = |c: &&Value| c["modes"][0]["evidence"]["significant"].as_bool() == Some(true);
    let rows: usize = classes
        .iter()
        .filter(is_finding)
        .map(|c| c["hardest"].as_array().unwrap().len() + c["easiest"].as_array().unwrap().len())
        .sum();
    let not_findings: Vec<&str> = classes
        .iter()
        .filter(|c| !is_finding(c))
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(not_findings, ["horse"]);
    assert_eq!(figures, rows);
    assert_eq!(pictures, rows, "every row shown has a picture");
    assert_eq!(placeholders, 0);
    let horse = &page[page.find("<h2>horse</h2>").unwrap()..];
    let horse = &horse[..horse.find("</section>").unwrap()];
    assert!(!horse.contains("<figure"), "{horse}");
    assert!(horse.contains("no better than chance"), "{horse}");
    for class in report["classes"].as_array().unwrap() {
        let name = class["name"].as_str().unwrap();
        assert!(page.contains(&format!("<h2>{name}</h2>")), "{name}");
    }
    assert!(page.contains("a photo of a red dog in the snow"));
    // Escaped once: "q < 0.001" as the browser shows it.
    assert!(page.contains("q &lt; 0.001 · AUC"));
    assert!(!page.contains("&amp;lt;"), "escaped twice");
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
        9 * (3 + 3),
        "3 hardest and 3 easiest of the 9 classes with a finding"
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

/// `diff --format html`: the page stands alone, each class with a finding before or after has
/// its section with its verdict, each significant mode its own, new modes theirs; the classes
/// without any are in the table only. A gate that fails still writes the page, then exits 1.
#[test]
fn the_diff_page_stands_alone_with_every_verdict() {
    let dir = temp_dir();
    let out = faultline(
        &[
            "demo",
            "--diff",
            "--format",
            "html",
            "--fail-on",
            "regressed",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let page = stdout(&out);
    let (pictures, placeholders, _) = check_page(&page);
    assert_eq!((pictures, placeholders), (0, 0));
    assert!(page.contains("<span class=\"gate-failed\">failed</span>"));
    let json = run_ok(&["demo", "--diff", "--format", "json"], dir.path());
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let mut verdicts = std::collections::BTreeSet::new();
    for class in report["classes"].as_array().unwrap() {
        let (index, name) = (&class["index"], class["name"].as_str().unwrap());
        let verdict = class["verdict"].as_str().unwrap();
        verdicts.insert(verdict.to_string());
        let start = format!("<section id=\"class-{index}\">");
        if verdict == "not_a_finding" {
            assert!(!page.contains(&start), "{name} has no section");
            continue;
        }
        let section = &page[page.find(&start).unwrap_or_else(|| panic!("{name}"))..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(
            section.contains(&format!("<h2>{name}</h2><span class=\"v v-{verdict}\">")),
            "{name}: {verdict}"
        );
        for mode in class["modes"].as_array().unwrap() {
            if mode["significant"].as_bool() != Some(true) {
                continue;
            }
            let label = match (mode["mode"].as_u64(), mode["shared_mode"].as_u64()) {
                (Some(k), _) => format!("mode {k}"),
                (_, Some(s)) => format!("shared mode {s}"),
                _ => unreachable!(),
            };
            let heading = format!("<h3>{label}");
            let at = section
                .find(&heading)
                .unwrap_or_else(|| panic!("{name}: no {label}"));
            let verdict = mode["verdict"].as_str().unwrap();
            let line = &section[at..at + section[at..].find("</h3>").unwrap()];
            assert!(
                line.contains(&format!("v-{verdict}")),
                "{name} {label}: {line}"
            );
        }
        let new = class["new_modes"].as_array().unwrap().len();
        assert_eq!(
            section.matches("<div class=\"mode new\">").count(),
            new,
            "{name}"
        );
    }
    // The demo's retrained model gives every verdict.
    for v in ["fixed", "weaker", "persisting", "regressed", "new"] {
        assert!(verdicts.contains(v), "{v} in {verdicts:?}");
    }
}

/// Class names from the data are escaped on the diff page too (the same model twice).
#[test]
fn the_diff_page_escapes_class_names() {
    use faultline::data::write::write_dataset;
    use faultline::demo::{generate_world, Attribute, ClassSpec, DemoOptions, Planted};
    let demo = generate_world(
        &[
            ClassSpec::new("<b>cat</b> & \"co\"", Planted::Hard(Attribute::Context(1))),
            ClassSpec::new("dog\u{1b}[31m", Planted::Hard(Attribute::Context(2))),
        ],
        &DemoOptions {
            seed: 3,
            dim: 32,
            per_split: [60, 150, 150, 0],
        },
    );
    let dir = temp_dir();
    let (before, after) = (path(&dir, "before.parquet"), path(&dir, "after.parquet"));
    write_dataset(&demo.dataset, &before).unwrap();
    write_dataset(&demo.dataset, &after).unwrap();
    let args = [
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "html",
    ];
    let page = stdout(&run_ok(&args, dir.path()));
    assert!(
        page.contains("v-persisting"),
        "the same model twice: its modes persist"
    );
    check_page(&page);
    assert!(page.contains("&lt;b&gt;cat&lt;/b&gt; &amp; &quot;co&quot;"));
    assert!(page.contains("dog\\x1b[31m"));
    assert!(!page.contains('\u{1b}'));
}
