//! Bench binary: key-to-frame time of the explorer on an ImageNet-size dataset (default
//! 1,000 classes, 1,000,000 rows, d = 512), once the fit is done. Each sample is one key event
//! handled and the whole screen drawn into ratatui's TestBackend, as the event loop does.
//!
//! cargo bench --bench explorer -- [--rows N] [--classes N] [--dim D] [--size WxH]
//!
//! Findings are computed synchronously here (the live explorer does it on a worker thread), so
//! "first visit" samples include ranking the class's test rows, scoring its captions and the
//! nearest-image check: an upper bound on what a user waits for.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use faultline::analysis::captions::score_captions;
use faultline::analysis::check::accuracy_near;
use faultline::analysis::direction::FitOptions;
use faultline::analysis::fit_model;
use faultline::analysis::index::CosineIndex;
use faultline::analysis::rank::rank_rows;
use faultline::data::captions::CaptionBank;
use faultline::data::{Dataset, Embeddings, Ids, Split, SplitSource};
use faultline::rng::Rng;
use faultline::ui::app::App;
use faultline::ui::handle_event;
use faultline::ui::images::Images;
use faultline::ui::keymap::Keymap;
use faultline::ui::theme::Theme;
use faultline::ui::triage::Triage;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const ADJECTIVES: [&str; 40] = [
    "red",
    "blue",
    "green",
    "small",
    "large",
    "striped",
    "spotted",
    "wild",
    "domestic",
    "northern",
    "southern",
    "giant",
    "dwarf",
    "common",
    "golden",
    "silver",
    "black",
    "white",
    "grey",
    "brown",
    "long-tailed",
    "short-haired",
    "crested",
    "horned",
    "spiny",
    "river",
    "sea",
    "desert",
    "mountain",
    "forest",
    "night",
    "paper",
    "steel",
    "wooden",
    "electric",
    "folding",
    "vintage",
    "racing",
    "pocket",
    "field",
];
const NOUNS: [&str; 25] = [
    "fox", "heron", "shark", "beetle", "lizard", "owl", "terrier", "spaniel", "crab", "moth",
    "snake", "frog", "finch", "kettle", "lamp", "guitar", "bicycle", "truck", "clock", "chair",
    "camera", "boat", "drum", "mushroom", "orchid",
];

struct Options {
    rows: usize,
    classes: usize,
    dim: usize,
    width: u16,
    height: u16,
}

fn parse_options() -> Options {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let number = |name: &str, default: usize| {
        flag(name)
            .map(|v| {
                v.replace('_', "").parse().unwrap_or_else(|_| {
                    eprintln!("{name} needs a number, got {v}");
                    std::process::exit(2)
                })
            })
            .unwrap_or(default)
    };
    let (width, height) = flag("--size")
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .unwrap_or((200, 60));
    Options {
        rows: number("--rows", 1_000_000),
        classes: number("--classes", 1_000),
        dim: number("--dim", 512),
        width,
        height,
    }
}

/// Unit-ish random vector.
fn direction(rng: &mut Rng, dim: usize) -> Vec<f32> {
    let scale = 1.0 / (dim as f64).sqrt();
    (0..dim).map(|_| (rng.normal() * scale) as f32).collect()
}

/// Rows are spread over classes round-robin, alternating val and test by block; in each class a
/// planted attribute makes the model fail more often, as in the demo.
fn dataset_and_captions(options: &Options) -> (Dataset, CaptionBank) {
    let (n, classes, dim) = (options.rows, options.classes, options.dim);
    let mut rng = Rng::new(7);
    let means: Vec<Vec<f32>> = (0..classes).map(|_| direction(&mut rng, dim)).collect();
    let attributes: Vec<Vec<f32>> = (0..classes).map(|_| direction(&mut rng, dim)).collect();
    let mut values = vec![0.0f32; n * dim];
    let rows: Vec<(u32, Split, bool, f32)> = values
        .par_chunks_mut(dim)
        .enumerate()
        .map(|(i, row)| {
            let mut rng = Rng::new(1_000 + i as u64);
            let class = i % classes;
            let split = if (i / classes) % 2 == 0 {
                Split::Val
            } else {
                Split::Test
            };
            let attribute = rng.uniform() < 0.3;
            let correct = rng.uniform() < if attribute { 0.45 } else { 0.95 };
            for (k, v) in row.iter_mut().enumerate() {
                let planted = if attribute { attributes[class][k] } else { 0.0 };
                *v = 2.0 * means[class][k]
                    + planted
                    + (0.7 * rng.normal() / (dim as f64).sqrt()) as f32;
            }
            let confidence = (rng.uniform() * 0.5 + if correct { 0.5 } else { 0.0 }) as f32;
            (class as u32, split, correct, confidence)
        })
        .collect();
    let names: Vec<String> = (0..classes)
        .map(|c| {
            let adjective = ADJECTIVES[c % ADJECTIVES.len()];
            let noun = NOUNS[(c / ADJECTIVES.len()) % NOUNS.len()];
            match c / (ADJECTIVES.len() * NOUNS.len()) {
                0 => format!("{adjective} {noun}"),
                k => format!("{adjective} {noun} {k}"),
            }
        })
        .collect();
    let dataset = Dataset {
        source: PathBuf::from("<bench>"),
        embeddings: Embeddings::from_vec(dim, values),
        labels: rows.iter().map(|r| Some(r.0)).collect(),
        predictions: Some(
            rows.iter()
                .map(|r| Some(if r.2 { r.0 } else { (r.0 + 1) % classes as u32 }))
                .collect(),
        ),
        correct: rows.iter().map(|r| Some(r.2)).collect(),
        splits: rows.iter().map(|r| r.1).collect(),
        split_source: SplitSource::Column {
            name: "split".into(),
        },
        confidence: Some(rows.iter().map(|r| r.3).collect()),
        images: None,
        ids: Ids::RowNumbers,
        class_names: names.clone(),
        row_index: Default::default(),
    };
    // Ten captions a class: the reference, the planted attribute, eight distractors.
    let mut texts = Vec::new();
    let mut caption_classes = Vec::new();
    let mut caption_values = Vec::new();
    for c in 0..classes {
        for k in 0..10 {
            let (text, extra) = match k {
                0 => (format!("a photo of a {}", names[c]), vec![0.0; dim]),
                1 => (
                    format!("a photo of a {} in the snow", names[c]),
                    attributes[c].clone(),
                ),
                _ => (
                    format!(
                        "a photo of a {} {}",
                        ADJECTIVES[(c + k) % ADJECTIVES.len()],
                        names[c]
                    ),
                    direction(&mut rng, dim),
                ),
            };
            texts.push(text);
            caption_classes.push(Some(c as u32));
            caption_values.extend(means[c].iter().zip(&extra).map(|(m, e)| m + e));
        }
    }
    let bank = CaptionBank {
        source: PathBuf::from("<bench captions>"),
        texts,
        classes: caption_classes,
        embeddings: Embeddings::from_vec(dim, caption_values),
    };
    (dataset, bank)
}

struct Frames {
    terminal: Terminal<TestBackend>,
    images: Images,
    theme: Theme,
    keymap: Keymap,
}

impl Frames {
    /// One key handled and the screen drawn; returns milliseconds.
    fn key(&mut self, app: &mut App, code: KeyCode) -> f64 {
        let start = Instant::now();
        handle_event(
            app,
            &self.keymap,
            Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.draw(app);
        start.elapsed().as_secs_f64() * 1e3
    }

    fn draw(&mut self, app: &mut App) {
        faultline::ui::draw(
            &mut self.terminal,
            app,
            &mut self.images,
            &self.theme,
            &self.keymap,
        )
        .expect("draw");
    }
}

fn summary(name: &str, mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} |",
        samples.len(),
        at(0.5),
        at(0.95),
        samples[samples.len() - 1]
    )
}

fn main() {
    let options = parse_options();
    eprintln!(
        "generating {} rows x {} dims, {} classes…",
        options.rows, options.dim, options.classes
    );
    let start = Instant::now();
    let (dataset, bank) = dataset_and_captions(&options);
    let generate_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let model = fit_model(&dataset, &FitOptions::default()).expect("fit");
    let fit_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let dataset = Arc::new(dataset);
    let mut app = App::new(dataset.clone(), Some(Arc::new(bank)), Triage::in_memory());
    app.set_model(Arc::new(model), false);
    let open_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut frames = Frames {
        terminal: Terminal::new(TestBackend::new(options.width, options.height)).expect("terminal"),
        images: Images::synchronous(None),
        theme: Theme::default(),
        keymap: Keymap::default(),
    };
    frames.draw(&mut app);

    let steps = 200.min(options.classes.saturating_sub(1)).max(1);
    let first_visit: Vec<f64> = (0..steps)
        .map(|_| frames.key(&mut app, KeyCode::Char('j')))
        .collect();
    let revisit: Vec<f64> = (0..steps)
        .map(|_| frames.key(&mut app, KeyCode::Char('k')))
        .collect();
    let page: Vec<f64> = (0..20)
        .flat_map(|_| [KeyCode::PageDown, KeyCode::PageUp])
        .map(|code| frames.key(&mut app, code))
        .collect();
    let sort: Vec<f64> = (0..30)
        .map(|_| frames.key(&mut app, KeyCode::Char('s')))
        .collect();
    let mut search = vec![frames.key(&mut app, KeyCode::Char('/'))];
    for _ in 0..10 {
        for c in "fox 2".chars() {
            search.push(frames.key(&mut app, KeyCode::Char(c)));
        }
        for _ in 0..5 {
            search.push(frames.key(&mut app, KeyCode::Backspace));
        }
    }
    frames.key(&mut app, KeyCode::Esc);
    frames.key(&mut app, KeyCode::Tab);
    let examples: Vec<f64> = (0..300)
        .map(|_| frames.key(&mut app, KeyCode::Char('j')))
        .collect();
    let order: Vec<f64> = (0..30)
        .map(|_| frames.key(&mut app, KeyCode::Char('o')))
        .collect();
    frames.key(&mut app, KeyCode::Tab);
    let captions: Vec<f64> = (0..9)
        .flat_map(|_| [KeyCode::Char('j'), KeyCode::Char('k')])
        .map(|code| frames.key(&mut app, code))
        .collect();
    let help: Vec<f64> = (0..20)
        .map(|_| frames.key(&mut app, KeyCode::Char('?')))
        .collect();

    // Interactive operations on the same data, outside the UI.
    let model = app.model.clone().expect("fitted");
    let class = app.selected_class().unwrap_or(0);
    let time = |f: &mut dyn FnMut()| -> f64 {
        let mut samples: Vec<f64> = (0..7)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        samples[3]
    };
    let rerank_class = time(&mut || {
        std::hint::black_box(rank_rows(&dataset, &model, class, Split::Test));
    });
    let all_test: Vec<usize> = (0..dataset.len())
        .filter(|&i| dataset.splits[i] == Split::Test)
        .collect();
    let rerank_all = time(&mut || {
        std::hint::black_box(model.decision_values(&dataset, class, &all_test));
    });
    let mut rng = Rng::new(99);
    let big_bank = CaptionBank {
        source: PathBuf::from("<10k captions>"),
        texts: (0..10_000).map(|i| format!("caption {i}")).collect(),
        classes: vec![Some(class); 10_000],
        embeddings: Embeddings::from_vec(
            options.dim,
            (0..10_000 * options.dim)
                .map(|_| rng.normal() as f32)
                .collect(),
        ),
    };
    let name = dataset.class_names[class as usize].clone();
    let direction = model.classes[class as usize].direction().cloned();
    let score_10k = time(&mut || {
        if let Some(direction) = &direction {
            std::hint::black_box(score_captions(
                &big_bank,
                class,
                &name,
                &model.standardizer,
                faultline::analysis::Scorer::Svm(&direction.svm),
            ));
        }
    });
    let query = big_bank.embeddings.row(0).to_vec();
    let class_test = dataset.rows_of(class, Split::Test).to_vec();
    let near_class = time(&mut || {
        std::hint::black_box(accuracy_near(&dataset, &class_test, &query, 50));
    });
    let near_all = time(&mut || {
        std::hint::black_box(accuracy_near(&dataset, &all_test, &query, 50));
    });
    let started = Instant::now();
    let index = CosineIndex::build(&dataset, all_test.clone());
    let index_seconds = started.elapsed().as_secs_f64();
    let near_indexed = time(&mut || {
        std::hint::black_box(index.nearest(&dataset, &query, 50));
    });
    // A caption-like query: a test image's own embedding, where near-ties are many.
    let image_query = dataset
        .embeddings
        .row(all_test[all_test.len() / 2])
        .to_vec();
    let near_image = time(&mut || {
        std::hint::black_box(index.nearest(&dataset, &image_query, 50));
    });

    let threads = rayon::current_num_threads();
    println!(
        "explorer key-to-frame: {} rows x {} dims, {} classes, screen {}x{}, {} threads",
        options.rows, options.dim, options.classes, options.width, options.height, threads
    );
    println!(
        "(setup: generate {generate_seconds:.1} s, fit {fit_seconds:.1} s, open the explorer on the fitted model {open_ms:.0} ms)\n"
    );
    println!("| key sequence | frames | median ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for line in [
        summary(
            "next class, first visit (findings computed in the frame)",
            first_visit,
        ),
        summary("previous class, revisit", revisit),
        summary("page down / up in the class list", page),
        summary("cycle class sort (every class re-sorted)", sort),
        summary("fuzzy search, typing and deleting", search),
        summary("next example", examples),
        summary("cycle example order", order),
        summary("next / previous caption", captions),
        summary("help overlay on / off", help),
    ] {
        println!("{line}");
    }
    println!("\n| interactive operation (median of 7) | ms |\n|---|---:|");
    println!(
        "| re-rank the class's {} test rows along its direction | {rerank_class:.2} |",
        class_test.len()
    );
    println!(
        "| decision values of all {} test rows of the dataset | {rerank_all:.1} |",
        all_test.len()
    );
    println!("| score 10,000 captions against a direction (rank included) | {score_10k:.1} |");
    println!(
        "| nearest 50 test images to a caption, within the class ({} rows) | {near_class:.2} |",
        class_test.len()
    );
    println!(
        "| nearest 50 test images to a caption, whole dataset, every row scored ({} rows) | {near_all:.1} |",
        all_test.len()
    );
    println!(
        "| the same through the 8-bit index (exact answer; built once in {index_seconds:.2} s, {:.0} MB) | {near_indexed:.1} |",
        index.bytes() as f64 / 1e6
    );
    println!("| nearest 50 test images to a test image, through the index | {near_image:.1} |");
}
