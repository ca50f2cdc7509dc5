//! The explorer without a terminal: screens rendered into ratatui's TestBackend and compared
//! with insta snapshots, driven by the same key events a user types.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use faultline::analysis::direction::FitOptions;
use faultline::analysis::fit_model;
use faultline::demo::{generate, write_demo, DemoOptions};
use faultline::ui::app::{App, Mode, Pane};
use faultline::ui::graphics::Graphics;
use faultline::ui::images::Images;
use faultline::ui::input::Input;
use faultline::ui::keymap::Keymap;
use faultline::ui::theme::Theme;
use faultline::ui::triage::Triage;
use faultline::ui::workers::Message;
use faultline::ui::{handle_event, run_pending_export};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ratatui_image::picker::ProtocolType;
use ratatui_image::FontSize;
use std::sync::{Arc, OnceLock};

struct World {
    /// Holds the PNGs the previews read, for as long as the tests run.
    _dir: tempfile::TempDir,
    app_parts: (
        Arc<faultline::data::Dataset>,
        Arc<faultline::data::captions::CaptionBank>,
        Arc<faultline::analysis::Model>,
    ),
}

/// The demo written to disk (so previews have real PNGs) and fitted once for all tests.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut demo = generate(&DemoOptions::default());
        write_demo(&demo, dir.path()).unwrap();
        // Image paths as the loader would resolve them.
        if let Some(images) = demo.dataset.images.as_mut() {
            for p in images.iter_mut().flatten() {
                *p = dir.path().join(&*p);
            }
        }
        let model = fit_model(&demo.dataset, &FitOptions::default()).unwrap();
        World {
            app_parts: (
                Arc::new(demo.dataset),
                Arc::new(demo.captions),
                Arc::new(model),
            ),
            _dir: dir,
        }
    })
}

fn app() -> App {
    let (dataset, bank, model) = world().app_parts.clone();
    let mut app = App::new(dataset, Some(bank), Triage::in_memory());
    app.set_model(model, false);
    app
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_keys(app: &mut App, keys: &str) {
    let keymap = Keymap::default();
    for c in keys.chars() {
        let code = match c {
            '\t' => KeyCode::Tab,
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\x08' => KeyCode::Backspace,
            c => KeyCode::Char(c),
        };
        handle_event(app, &keymap, key(code));
        run_pending_export(app);
    }
}

fn render(app: &mut App, images: &mut Images, width: u16, height: u16) -> String {
    let backend = TestBackend::new(width, height);
    let mut terminal = Terminal::new(backend).unwrap();
    let theme = Theme::default();
    let keymap = Keymap::default();
    faultline::ui::draw(&mut terminal, app, images, &theme, &keymap).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn no_images() -> Images {
    Images::synchronous(None)
}

#[test]
fn first_screen_at_80x24() {
    let mut app = app();
    insta::assert_snapshot!("first_80x24", render(&mut app, &mut no_images(), 80, 24));
}

#[test]
fn first_screen_at_160x48() {
    let mut app = app();
    insta::assert_snapshot!("first_160x48", render(&mut app, &mut no_images(), 160, 48));
}

#[test]
fn navigating_classes_changes_every_pane() {
    let mut app = app();
    let first = app.selected_class();
    type_keys(&mut app, "j");
    assert_ne!(app.selected_class(), first);
    let screen = render(&mut app, &mut no_images(), 120, 36);
    let name = &app.dataset.class_names[app.selected_class().unwrap() as usize];
    assert!(
        screen.contains(&format!("a photo of a {name}")),
        "captions follow the class:\n{screen}"
    );
    insta::assert_snapshot!("after_j_120x36", screen);
}

#[test]
fn fuzzy_search_filters_and_escape_clears() {
    let mut app = app();
    type_keys(&mut app, "/brd");
    assert_eq!(app.mode, Mode::Search);
    assert_eq!(app.visible.len(), 1);
    assert_eq!(app.dataset.class_names[app.visible[0] as usize], "bird");
    insta::assert_snapshot!(
        "search_brd_80x24",
        render(&mut app, &mut no_images(), 80, 24)
    );
    type_keys(&mut app, "\n");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.visible.len(), 1, "enter keeps the filter");
    type_keys(&mut app, "\x1b");
    assert_eq!(
        app.visible.len(),
        faultline::demo::CLASSES.len(),
        "esc clears it"
    );
}

#[test]
fn panes_orders_help_and_sort() {
    let mut app = app();
    type_keys(&mut app, "\t");
    assert_eq!(app.focus, Pane::Examples);
    type_keys(&mut app, "jjj");
    assert_eq!(app.examples.cursor, 3);
    type_keys(&mut app, "o");
    let screen = render(&mut app, &mut no_images(), 100, 30);
    assert!(screen.contains("easiest first"), "{screen}");
    type_keys(&mut app, "?");
    let help = render(&mut app, &mut no_images(), 100, 30);
    assert!(
        help.contains("Help") && help.contains("search classes"),
        "{help}"
    );
    insta::assert_snapshot!("help_100x30", help);
    type_keys(&mut app, "?");
    assert_eq!(app.mode, Mode::Normal);
    type_keys(&mut app, "\ts");
    assert!(app.status.as_deref().unwrap_or("").contains("SVM strength"));
    // Sorted by strength: the control class (no coherent failure mode) comes last.
    assert_eq!(
        app.dataset.class_names[*app.visible.last().unwrap() as usize],
        "horse"
    );
}

#[test]
fn export_summary_and_triage_from_the_ui() {
    let mut app = app();
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("summary.md");
    // From the shared entry on top to the first class.
    type_keys(&mut app, "j");
    type_keys(&mut app, "t");
    type_keys(&mut app, "n");
    assert_eq!(app.mode, Mode::Note);
    type_keys(&mut app, "snowy dogs\n");
    type_keys(&mut app, "e3");
    assert!(matches!(app.mode, Mode::ExportPath(_)));
    app.input = Input::new(&summary.display().to_string());
    type_keys(&mut app, "\n");
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("wrote the summary"),
        "{:?}",
        app.status
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("## Triage") && text.contains("snowy dogs") && text.contains("confirmed"),
        "{text}"
    );
    // The summary has the shared modes and every class's modes.
    assert!(text.contains("a blurry photo of a {class}"), "{text}");

    // The same report as one HTML page, the triage mark and note beside their class.
    let page_path = out.path().join("report.html");
    type_keys(&mut app, "e4");
    app.input = Input::new(&page_path.display().to_string());
    type_keys(&mut app, "\n");
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("wrote the HTML report"),
        "{:?}",
        app.status
    );
    let page = std::fs::read_to_string(&page_path).unwrap();
    let class = app.selected_name().to_string();
    let section = page.find(&format!("<h2>{class}</h2>")).unwrap();
    assert!(
        page[section..].contains("note: snowy dogs"),
        "the note in its class"
    );
    assert!(page.contains("<span class=\"mark\">confirmed</span>"));
    // The world's PNGs are on disk: every shown row has its thumbnail.
    assert!(page.matches("<img src=\"data:image/jpeg;base64,").count() > 100);
    assert!(!page.contains("class=\"missing\""));

    let rows = out.path().join("hard.csv");
    type_keys(&mut app, "e1");
    app.input = Input::new(&rows.display().to_string());
    type_keys(&mut app, "\n");
    // A header line, then the export's rows.
    assert_eq!(
        std::fs::read_to_string(&rows).unwrap().lines().count(),
        1 + faultline::ui::export::HARDEST_ROWS
    );

    // On the shared entry: the shared mode's hardest rows, across the classes it hurts.
    let shared_rows = out.path().join("shared.csv");
    type_keys(&mut app, "ge1");
    app.input = Input::new(&shared_rows.display().to_string());
    type_keys(&mut app, "\n");
    let text = std::fs::read_to_string(&shared_rows).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + faultline::ui::export::HARDEST_ROWS
    );
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("shared mode 1"),
        "{:?}",
        app.status
    );

    type_keys(&mut app, "e1");
    app.input = Input::new(&out.path().join("missing/dir/x.csv").display().to_string());
    type_keys(&mut app, "\n");
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("export failed"),
        "{:?}",
        app.status
    );
    assert!(!app.quit, "a failed export never ends the app");
}

#[test]
fn half_block_preview_and_grid() {
    let mut app = app();
    let mut images = Images::synchronous(Some(Graphics::halfblocks()));
    type_keys(&mut app, "j\t");
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(
        screen.contains('▀') || screen.contains('▄'),
        "half-blocks drawn:\n{screen}"
    );
    insta::assert_snapshot!("preview_halfblocks_120x36", screen);
    type_keys(&mut app, "v");
    let grid = render(&mut app, &mut images, 120, 36);
    let hardest = app.dataset.ids.get(app.ranking()[0].row);
    assert!(
        grid.contains(&format!("Grid · hardest · id {hardest}")),
        "{grid}"
    );
    insta::assert_snapshot!("grid_halfblocks_120x36", grid);
}

#[test]
fn sixel_and_kitty_previews_carry_their_escape_payloads() {
    for (protocol, marker) in [
        (ProtocolType::Sixel, "\x1bP"),
        (ProtocolType::Kitty, "\x1b_G"),
    ] {
        let mut app = app();
        let graphics = Graphics {
            kind: protocol,
            font: FontSize::new(8, 16),
            tmux: false,
        };
        let mut images = Images::synchronous(Some(graphics));
        let screen = render(&mut app, &mut images, 120, 36);
        assert!(
            screen.contains(marker),
            "{protocol:?}: no {marker:?} payload"
        );
    }
}

#[test]
fn missing_images_are_a_message_not_an_error() {
    let (dataset, bank, model) = world().app_parts.clone();
    let mut broken = (*dataset).clone();
    if let Some(images) = broken.images.as_mut() {
        for p in images.iter_mut().flatten() {
            *p = p.with_file_name("does-not-exist.png");
        }
    }
    let mut app = App::new(Arc::new(broken), Some(bank), Triage::in_memory());
    app.set_model(model, false);
    let mut images = Images::synchronous(Some(Graphics::halfblocks()));
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(screen.contains("cannot open"), "{screen}");
}

/// A smoke test: drawing at tiny and huge sizes, with the help and the grid, must not panic
/// (there is nothing else to assert at 1x1).
#[test]
fn smoke_resizing_to_tiny_sizes_never_panics() {
    let mut app = app();
    let mut images = Images::synchronous(Some(Graphics::halfblocks()));
    for (w, h) in [(1, 1), (10, 3), (20, 8), (40, 10), (79, 23), (300, 100)] {
        render(&mut app, &mut images, w, h);
        type_keys(&mut app, "?");
        render(&mut app, &mut images, w, h);
        type_keys(&mut app, "?v");
        render(&mut app, &mut images, w, h);
        type_keys(&mut app, "v");
    }
}

#[test]
fn long_lists_scroll_to_their_last_row() {
    let mut app = app();
    let mut images = no_images();
    type_keys(&mut app, "\tG");
    let examples = app.example_rows().len();
    assert!(examples > 50, "demo classes have hundreds of test rows");
    let screen = render(&mut app, &mut images, 120, 36);
    // The last rank is on screen and selected; the first is scrolled away.
    assert!(
        screen.contains(&format!("{examples} ")),
        "rank {examples} not shown:\n{screen}"
    );
    assert_eq!(app.examples.cursor, examples - 1);
    type_keys(&mut app, "g");
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(!screen.contains(&format!("{examples} ")), "{screen}");
}

#[test]
fn findings_arrive_from_the_worker_thread() {
    let (dataset, bank, model) = world().app_parts.clone();
    let mut app = App::new(dataset, Some(bank), Triage::in_memory());
    let (outbox, inbox) = std::sync::mpsc::channel();
    app.compute_in_background(outbox);
    app.set_model(model, false);
    let mut images = no_images();
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(screen.contains("ranking the shared modes"), "{screen}");
    type_keys(&mut app, "j");
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(screen.contains("ranking the test rows"), "{screen}");
    while app.findings().is_none() {
        match inbox.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Message::Findings(class, found)) => app.take_findings(class, found),
            Ok(_) => {}
            Err(_) => panic!("the worker never answered"),
        }
    }
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(!screen.contains("ranking the test rows"), "{screen}");
    assert!(screen.contains("hardest first"), "{screen}");
}

#[test]
fn a_typed_caption_is_scored_against_the_class_direction() {
    use faultline::ui::typed_caption::{CaptionWorker, Embedder, TypedResult};
    let (dataset, bank, model) = world().app_parts.clone();
    let mut app = App::new(dataset, Some(bank.clone()), Triage::in_memory());
    app.set_model(model, false);
    // Stands in for the CLIP text tower: the bank's own embedding of the same text.
    let bank_for_worker = bank.clone();
    let (outbox, inbox) = std::sync::mpsc::channel();
    let worker = CaptionWorker::spawn(
        Box::new(move || {
            let bank = bank_for_worker;
            let embed: Embedder = Box::new(move |texts: &[String]| {
                texts
                    .iter()
                    .map(|t| {
                        bank.texts
                            .iter()
                            .position(|b| b == t)
                            .map(|i| bank.embeddings.row(i).to_vec())
                            .ok_or_else(|| format!("unknown caption {t}"))
                    })
                    .collect()
            });
            Ok(embed)
        }),
        outbox,
    );
    app.set_caption_worker(worker);
    let mut images = no_images();
    type_keys(&mut app, "/dog\n");
    assert_eq!(
        app.dataset.class_names[app.selected_class().unwrap() as usize],
        "dog"
    );
    type_keys(&mut app, "ca photo of a dog in the snow\n");
    while matches!(app.typed.as_ref().unwrap().result, TypedResult::Pending) {
        match inbox.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Message::Caption(response)) => app.take_typed_caption(response),
            Ok(_) => {}
            Err(_) => panic!("no answer from the worker"),
        }
    }
    let TypedResult::Scored {
        score,
        near,
        across,
    } = app.typed.clone().unwrap().result
    else {
        panic!("{:?}", app.typed);
    };
    // Across the dataset, through the worker's index: the same accuracy as scoring every test
    // row, and the snowy images are the dogs'.
    let across = across
        .expect("a caption of the images' dimension")
        .expect("the whole dataset searched");
    let dataset = &app.dataset;
    let query = bank.embeddings.row(
        bank.texts
            .iter()
            .position(|t| t == "a photo of a dog in the snow")
            .unwrap(),
    );
    let all_test: Vec<usize> = (0..dataset.len())
        .filter(|&i| dataset.splits[i] == faultline::data::Split::Test)
        .collect();
    let brute = faultline::analysis::check::accuracy_near(dataset, &all_test, query, 50).unwrap();
    assert_eq!((across.k, across.accuracy), (brute.k, brute.accuracy));
    assert_eq!(
        dataset.class_names[across.classes[0].0 as usize], "dog",
        "{across:?}"
    );
    assert!(
        score < 0.0,
        "the planted hard attribute scores negative: {score}"
    );
    let near = near.unwrap();
    let class_accuracy = app.findings().unwrap().test_accuracy.unwrap();
    assert!(
        near.accuracy < class_accuracy,
        "{near:?} vs {class_accuracy}"
    );
    let screen = render(&mut app, &mut images, 120, 36);
    // The caption's bar names it (the words beyond the reference) with its negative score.
    assert!(screen.contains("yours "), "{screen}");
    let bar = format!("yours {:>3.0}% ", near.accuracy * 100.0);
    assert!(screen.contains(&bar), "{bar}\n{screen}");
    let sigma = app.view().unwrap().sigma(score).unwrap();
    assert!(screen.contains(&format!("({sigma:+.2}σ)")), "{screen}");
    assert!(screen.contains("all classes: 50 nearest"), "{screen}");
}

#[test]
fn typing_a_caption_without_a_model_says_how_to_enable_it() {
    let mut app = app();
    type_keys(&mut app, "c");
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.status.as_deref().unwrap().contains("--model"));
}

#[test]
fn names_and_captions_from_data_are_drawn_escaped() {
    let (dataset, bank, model) = world().app_parts.clone();
    let mut crafted = (*dataset).clone();
    for name in crafted.class_names.iter_mut() {
        *name = format!("{name}\x1b]0;pwned\x07\u{202e}");
    }
    let mut bank = (*bank).clone();
    for text in bank.texts.iter_mut() {
        *text = format!("\u{202e}{text}\x1b]52;c;eA==\x07");
    }
    let mut app = App::new(Arc::new(crafted), Some(Arc::new(bank)), Triage::in_memory());
    app.set_model(model, false);
    let screen = render(&mut app, &mut no_images(), 160, 48);
    let raw: Vec<char> = screen
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
        .collect();
    assert!(raw.is_empty(), "{raw:?}");
    assert!(screen.contains("\\x1b]0;pwned\\x07"), "{screen}");
    assert!(screen.contains("\\u{202e}"), "{screen}");
}

/// The code block in README.md after `heading`.
fn readme_block(heading: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find(heading).expect("the heading is in README.md");
    let body = &readme[start..];
    let open = body.find("```\n").unwrap() + 4;
    let close = open + body[open..].find("```\n").unwrap();
    body[open..close].to_string()
}

/// README's capture of the explorer is this program's screen, not an old one: the wolf, whose
/// paper direction blends its two failure modes.
#[test]
fn the_readme_capture_is_the_current_screen() {
    let mut app = app();
    while app.selected_name() != "wolf" {
        type_keys(&mut app, "j");
    }
    let screen = render(&mut app, &mut no_images(), 120, 36);
    assert_eq!(
        readme_block("A capture of `faultline demo` at 120x36").trim_end(),
        screen.trim_end(),
        "README.md's capture is stale: paste the screen above into it"
    );
}

fn mouse(kind: crossterm::event::MouseEventKind, column: u16, row: u16) -> Event {
    Event::Mouse(crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// A click focuses the pane under the pointer and selects the row there; the wheel scrolls the
/// pane under the pointer, not the focused one.
#[test]
fn clicks_select_what_is_under_the_pointer_and_the_wheel_scrolls_it() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let mut app = app();
    let keymap = Keymap::default();
    let screen = render(&mut app, &mut no_images(), 120, 36);
    // The third row of the class list (two border/header lines above the first); the shared
    // entry is the first row.
    let line = screen.lines().nth(4).unwrap();
    let Some(faultline::ui::app::Entry::Class(clicked)) = app.entry(2) else {
        panic!("the third row is a class");
    };
    assert!(
        line.contains(app.dataset.class_names[clicked as usize].as_str()),
        "{line}"
    );
    handle_event(
        &mut app,
        &keymap,
        mouse(MouseEventKind::Down(MouseButton::Left), 5, 4),
    );
    assert_eq!(app.selected_class(), Some(clicked));
    render(&mut app, &mut no_images(), 120, 36);
    // The fifth example row, in the examples pane (x 40).
    handle_event(
        &mut app,
        &keymap,
        mouse(MouseEventKind::Down(MouseButton::Left), 45, 6),
    );
    assert_eq!(app.focus, Pane::Examples);
    assert_eq!(app.examples.cursor, 4);
    // The wheel over the captions pane scrolls the captions; the focus stays on the examples.
    handle_event(&mut app, &keymap, mouse(MouseEventKind::ScrollDown, 10, 30));
    assert_eq!(app.captions.cursor, 1);
    assert_eq!(app.focus, Pane::Examples);
    assert_eq!(app.examples.cursor, 4);
}

/// The grid's thumbnails are selectable: moving walks the hardest then the easiest, enter opens
/// the selected one's row in the examples list, y copies its id and image path.
#[test]
fn the_grid_selects_opens_and_copies() {
    let mut app = app();
    let mut images = no_images();
    type_keys(&mut app, "\tv");
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(screen.contains("Grid · hardest · id"), "{screen}");
    let (hard, easy) = app.grid_cells;
    assert!(hard > 0 && easy > 0, "{hard} {easy}");
    for _ in 0..hard {
        type_keys(&mut app, "j");
    }
    let (row, from_hard) = app.grid_selection().unwrap();
    assert!(!from_hard, "past the hardest comes the first easiest");
    type_keys(&mut app, "y");
    let copied = app.pending_copy.take().unwrap();
    assert!(
        copied.starts_with(&app.dataset.ids.get(row.row).to_string()),
        "{copied}"
    );
    assert!(copied.contains(".png"), "{copied}");
    type_keys(&mut app, "\n");
    assert!(!app.grid);
    assert_eq!(app.order, faultline::ui::app::Order::Easiest);
    assert_eq!(app.selected_example().unwrap().row, row.row);
    insta::assert_snapshot!(
        "grid_then_open_120x36",
        render(&mut app, &mut images, 120, 36)
    );
}

/// Reviewed pictures of the screens a user passes through: the export menu and its path prompt,
/// the note prompt (with a cursor moved into the text), a fit running and a failed fit, at 80x24.
#[test]
fn prompts_menus_and_fit_states_at_80x24() {
    let mut app = app();
    type_keys(&mut app, "e");
    insta::assert_snapshot!(
        "export_menu_80x24",
        render(&mut app, &mut no_images(), 80, 24)
    );
    type_keys(&mut app, "1");
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(
        screen.contains("faultline-shared-1-hardest.csv"),
        "{screen}"
    );
    insta::assert_snapshot!("export_path_80x24", screen);
    // Triage is per class: on the shared entry it says so; on a class the note prompt opens.
    type_keys(&mut app, "\x1bn");
    assert!(app.status.as_deref().unwrap().contains("per class"));
    type_keys(&mut app, "jn");
    assert_eq!(app.mode, Mode::Note);
    for key in "night shots".chars() {
        type_keys(&mut app, &key.to_string());
    }
    let keymap = Keymap::default();
    for _ in 0..5 {
        handle_event(&mut app, &keymap, key(KeyCode::Left));
    }
    insta::assert_snapshot!(
        "note_prompt_80x24",
        render(&mut app, &mut no_images(), 80, 24)
    );

    let (dataset, bank, _) = world().app_parts.clone();
    let mut fitting = App::new(dataset.clone(), Some(bank.clone()), Triage::in_memory());
    fitting.fit = faultline::ui::app::FitState::Running { done: 2, total: 6 };
    let screen = render(&mut fitting, &mut no_images(), 80, 24);
    assert!(
        screen.contains("fitting directions… 2/6 classes"),
        "{screen}"
    );
    insta::assert_snapshot!("fit_running_80x24", screen);
    let mut failed = App::new(dataset, Some(bank), Triage::in_memory());
    failed.set_fit_failed("the cache folder is read-only".into());
    let screen = render(&mut failed, &mut no_images(), 80, 24);
    assert!(
        screen.contains("fit failed: the cache folder is"),
        "{screen}"
    );
    assert!(
        !screen.contains('…'),
        "no class reads as still fitting: {screen}"
    );
    insta::assert_snapshot!("fit_failed_80x24", screen);
}

/// The help at 80x24 wraps between words and scrolls (its title says where), and a typed
/// caption's result in the Check pane names it and its score.
#[test]
fn help_and_typed_caption_screens_at_80x24() {
    let mut app = app();
    type_keys(&mut app, "?");
    let help = render(&mut app, &mut no_images(), 80, 24);
    assert!(help.contains("Help · 1-"), "{help}");
    insta::assert_snapshot!("help_80x24", help);
    type_keys(&mut app, "jjjjjjjjjj");
    let scrolled = render(&mut app, &mut no_images(), 80, 24);
    assert!(scrolled.contains("Help · 11-"), "{scrolled}");
    type_keys(&mut app, "?");

    let demo = faultline::demo::generate(&faultline::demo::DemoOptions::default());
    let (outbox, inbox) = std::sync::mpsc::channel();
    let text = demo.text.clone();
    app.set_caption_worker(faultline::ui::typed_caption::CaptionWorker::spawn(
        Box::new(move || {
            let embed: faultline::ui::typed_caption::Embedder =
                Box::new(move |texts: &[String]| text.embed_all(texts));
            Ok(embed)
        }),
        outbox,
    ));
    type_keys(&mut app, "/dog\n\t\t\t");
    type_keys(&mut app, "ca photo of a dog in the snow\n");
    match inbox.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(Message::Caption(response)) => app.take_typed_caption(response),
        _ => panic!("no answer from the demo's text side"),
    }
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(screen.contains("yours"), "{screen}");
    insta::assert_snapshot!("typed_caption_check_80x24", screen);
}

/// `m` steps through a class's failure modes: the examples, captions and check follow the mode,
/// and say which it is; the shared entry steps through shared modes (one in the demo). Pictures
/// at 80x24 and at 160x48.
#[test]
fn m_steps_through_modes_and_every_pane_follows() {
    let mut app = app();
    while app.selected_name() != "wolf" {
        type_keys(&mut app, "j");
    }
    assert_eq!(app.mode_count(), 3);
    let first = app.example_rows()[0];
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(screen.contains("mode 1 of 3"), "{screen}");
    type_keys(&mut app, "m");
    assert_eq!(app.mode_cursor, 1);
    assert_eq!(app.view().unwrap().position, 1);
    assert_ne!(app.example_rows()[0], first, "the examples follow the mode");
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(
        screen.contains("Mode 2/3") || screen.contains("mode 2/3"),
        "{screen}"
    );
    assert!(screen.contains("mode 2 of 3"), "{screen}");
    assert!(
        screen.contains("…black wolf"),
        "the captions follow the mode:\n{screen}"
    );
    insta::assert_snapshot!("wolf_mode_2_80x24", screen);
    type_keys(&mut app, "m");
    let screen = render(&mut app, &mut no_images(), 160, 48);
    assert!(screen.contains("mode 3 of 3"), "{screen}");
    assert!(screen.contains("a close-up photo of a wolf"), "{screen}");
    insta::assert_snapshot!("wolf_mode_3_160x48", screen);
    type_keys(&mut app, "m");
    assert_eq!(app.mode_cursor, 0, "m wraps round");
    // A class with one mode says so; the shared entry has one shared mode.
    type_keys(&mut app, "g");
    type_keys(&mut app, "m");
    assert_eq!(app.status.as_deref(), Some("one shared mode"));
    type_keys(&mut app, "j");
    type_keys(&mut app, "m");
    assert!(
        app.status.as_deref().unwrap().contains("one failure mode"),
        "{:?}",
        app.status
    );
}

/// The preview's advice can quote the terminal's own answer (its name and version): it is drawn
/// with control characters escaped, never passed to the terminal.
#[test]
fn the_preview_advice_is_drawn_escaped() {
    let mut app = app();
    let mut images = Images::synchronous(Some(Graphics::halfblocks())).with_advice(Some(
        "kitty(\u{1b}[31m0.26) cannot show these previews".into(),
    ));
    type_keys(&mut app, "\t");
    let screen = render(&mut app, &mut images, 120, 36);
    assert!(screen.contains("kitty(\\x1b[31m0.26)"), "{screen}");
}

/// The demo's retrained model compared with the first, as `faultline diff` opens it.
fn comparison_app() -> App {
    static VIEW: OnceLock<Arc<faultline::ui::comparison::ComparisonView>> = OnceLock::new();
    let view = VIEW.get_or_init(|| {
        let (dataset, bank, before) = world().app_parts.clone();
        let mut after = generate(&DemoOptions::default()).after;
        after.images.clone_from(&dataset.images);
        let after_model = fit_model(&after, &FitOptions::default()).unwrap();
        let diff = faultline::analysis::compare::compare(
            &dataset,
            &after,
            &before,
            &after_model,
            &faultline::analysis::compare::CompareOptions {
                bank: Some(&bank),
                check_k: 50,
            },
        );
        Arc::new(faultline::ui::comparison::ComparisonView {
            after: Arc::new(after),
            diff,
            label: "prediction → prediction_after".into(),
        })
    });
    let mut app = app();
    app.set_comparison(view.clone());
    app
}

/// Comparison mode: the class list is sorted by verdict (worst first) and shows both models'
/// accuracy; a class shows its hard rows with both models' outcomes and the check before and
/// after; the shared entry lists the verdict in each class it hurts.
#[test]
fn the_comparison_screen_at_80x24_and_160x48() {
    let mut app = comparison_app();
    type_keys(&mut app, "j");
    assert_eq!(app.selected_name(), "bird", "regressed sorts first");
    let screen = render(&mut app, &mut no_images(), 160, 48);
    for shown in [
        "Classes · prediction → prediction_after",
        "bef  aft  verdict",
        "regressed",
        "before predicted after after pred",
        "before → after: regressed",
        "gap 70 → 90 points",
        "before model:",
    ] {
        assert!(screen.contains(shown), "{shown}:\n{screen}");
    }
    // Class order: regressed, new, then persisting, weaker, fixed.
    let order: Vec<usize> = ["bird", "horse", "cat", "car", "dog"]
        .iter()
        .map(|name| screen.find(&format!("  {name} ")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{screen}");
    insta::assert_snapshot!("comparison_bird_160x48", screen);

    while app.selected_name() != "dog" {
        type_keys(&mut app, "j");
    }
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(screen.contains("before → after: fixed"), "{screen}");
    assert!(screen.contains("before after"), "{screen}");
    insta::assert_snapshot!("comparison_dog_80x24", screen);

    // The new failure of a class that had none: said in the check.
    while app.selected_name() != "horse" {
        type_keys(&mut app, "k");
    }
    let screen = render(&mut app, &mut no_images(), 160, 48);
    assert!(screen.contains("new in the after model"), "{screen}");
    assert!(screen.contains("a photo of a brown horse on"), "{screen}");

    type_keys(&mut app, "g");
    let screen = render(&mut app, &mut no_images(), 80, 24);
    assert!(screen.contains("shared"), "{screen}");
    assert!(screen.contains("1 mode"), "{screen}");
    let screen = render(&mut app, &mut no_images(), 160, 48);
    for class in ["sheep", "deer", "cow"] {
        assert!(
            screen.contains(&format!("{class}: persisting · hard side")),
            "{class}:\n{screen}"
        );
    }
    insta::assert_snapshot!("comparison_shared_160x48", screen);

    // s cycles the sort through the verdict order and back.
    type_keys(&mut app, "s");
    assert_ne!(app.sort.label(), "verdict");
}
