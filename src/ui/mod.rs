//! The explorer: a keyboard-driven TUI over the analysis core. State lives in `app` (tested
//! without a terminal) and changes only through actions and messages; `panes` draws it without
//! changing it; keys map to actions through `keymap` and the command table in `commands`.
//! Everything that happens (keys, fit progress, findings, previews, typed captions, exports,
//! triage saves) arrives on one channel from `workers`, which the loop blocks on.

pub mod action;
pub mod app;
pub(crate) mod commands;
pub mod comparison;
pub mod config;
pub(crate) mod doctor;
pub mod export;
pub(crate) mod findings;
pub mod graphics;
pub mod images;
pub mod input;
pub mod keymap;
pub(crate) mod panes;
pub mod theme;
pub mod triage;
pub mod typed_caption;
pub mod workers;

use crate::analysis::direction::FitOptions;
use crate::data::captions::CaptionBank;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::storage::fit_cache::{fit_cached_with_progress, CacheUse};
use app::{App, FitState};
use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use graphics::{Detection, ProtocolChoice};
use images::Images;
use keymap::Keymap;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Duration;
use theme::Theme;
use triage::Triage;
use workers::{Message, Outbox, Pool};

/// What the explorer looks at.
pub struct Session {
    pub dataset: Arc<Dataset>,
    pub bank: Option<Arc<CaptionBank>>,
    pub fit_options: FitOptions,
    pub use_cache: bool,
    /// Opens the text model for typed captions (--model), on first use.
    pub text_model: Option<typed_caption::OpenEmbedder>,
    /// A model fitted already (comparison mode fits both before opening): no fit is started.
    pub fitted: Option<Arc<crate::analysis::Model>>,
    /// Comparison mode: the after model's outcomes and the verdicts.
    pub comparison: Option<Arc<comparison::ComparisonView>>,
}

pub struct UiOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    pub image_protocol: ProtocolChoice,
}

/// Fits on a worker thread; progress and the model arrive in `outbox`.
pub fn start_fit(session: &Session, outbox: Outbox) {
    let done = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let dataset = session.dataset.clone();
    let options = session.fit_options.clone();
    let use_cache = session.use_cache;
    let (counter, fit_finished, fit_outbox) = (done.clone(), finished.clone(), outbox.clone());
    std::thread::spawn(move || {
        let result = fit_cached_with_progress(&dataset, &options, use_cache, &counter);
        fit_finished.store(true, Ordering::Relaxed);
        let _ = fit_outbox.send(Message::Fitted(Box::new(result)));
    });
    // The count is kept by the fit's threads; this one passes changes on, ten times a second.
    std::thread::spawn(move || {
        let mut shown = 0;
        while !finished.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let now = done.load(Ordering::Relaxed);
            if now != shown {
                shown = now;
                if outbox.send(Message::FitProgress(now)).is_err() {
                    return;
                }
            }
        }
    });
}

/// Routes one terminal event to the app: keys through the mode's bindings, the mouse wheel as
/// up and down.
pub fn handle_event(app: &mut App, keymap: &Keymap, event: Event) {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => {
            if let Some(action) = keymap.action_in(&app.mode, key) {
                app.update(action);
            }
        }
        Event::Mouse(mouse) if !app.is_typing() => {
            let Some((pane, row)) = pane_at(app, mouse.column, mouse.row) else {
                return;
            };
            match mouse.kind {
                MouseEventKind::ScrollDown => app.scroll(pane, true),
                MouseEventKind::ScrollUp => app.scroll(pane, false),
                MouseEventKind::Down(crossterm::event::MouseButton::Left) => app.click(pane, row),
                _ => {}
            }
        }
        _ => {}
    }
}

/// The pane under a screen cell, and the list row there (counted from the first row shown).
fn pane_at(app: &App, column: u16, row: u16) -> Option<(app::Pane, Option<usize>)> {
    use app::Pane;
    let parts = panes::layout(app.screen);
    let position = ratatui::layout::Position::new(column, row);
    let examples = if app.grid {
        ratatui::layout::Rect {
            width: parts.examples.width + parts.preview.width,
            ..parts.examples
        }
    } else {
        parts.examples
    };
    let hit = [
        (parts.classes, Pane::Classes, Some(0)),
        (examples, Pane::Examples, Some(1)),
        (parts.preview, Pane::Examples, None),
        (parts.captions, Pane::Captions, Some(2)),
        (parts.check, Pane::Check, None),
    ]
    .into_iter()
    .find(|(area, _, _)| area.contains(position))?;
    let (area, pane, list) = hit;
    let list_row = list.and_then(|i| {
        let top = app.row_tops[i];
        (row >= top && row + 1 < area.bottom()).then(|| usize::from(row - top))
    });
    Some((pane, list_row))
}

/// Puts `text` on the clipboard with OSC 52 (tmux passes it on with `set-clipboard on`).
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let sequence = format!("\x1b]52;c;{}\x07", crate::text::base64(text.as_bytes()));
    let mut out = std::io::stdout();
    let _ = out
        .write_all(sequence.as_bytes())
        .and_then(|()| out.flush());
}

/// Mouse reporting for clicks and the wheel only (no motion events), SGR-encoded.
const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1006h";
const MOUSE_OFF: &str = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";

fn mouse(on: bool) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out
        .write_all(if on { MOUSE_ON } else { MOUSE_OFF }.as_bytes())
        .and_then(|()| out.flush());
}

/// Takes in one message: terminal input or finished work.
pub fn apply(app: &mut App, images: &mut Images, keymap: &Keymap, message: Message) {
    match message {
        Message::Terminal(event) => handle_event(app, keymap, event),
        Message::FitProgress(done) => {
            if let FitState::Running { total, .. } = app.fit {
                app.fit = FitState::Running {
                    done: done.min(total),
                    total,
                };
            }
        }
        Message::Fitted(result) => match *result {
            Ok((model, cache)) => app.set_model(Arc::new(model), cache == CacheUse::Hit),
            Err(e) => app.set_fit_failed(e.to_string()),
        },
        Message::Findings(class, found) => app.take_findings(class, found),
        Message::Shared(found) => app.take_shared(found),
        Message::Image(key, state) => images.insert(key, state),
        Message::Caption(response) => app.take_typed_caption(response),
        Message::Exported(status) => app.status = Some(status),
        Message::TriageSaved(Ok(saved)) => app.triage.absorb(saved),
        Message::TriageSaved(Err(e)) => app.status = Some(format!("triage not saved: {e}")),
    }
}

/// Performs an export the app asked for on this thread, reporting the outcome in the status
/// line (tests; the explorer hands exports to a worker).
pub fn run_pending_export(app: &mut App) {
    if let Some(request) = app.pending_export.take() {
        app.status = Some(export::ExportJob::new(app, request).run());
    }
}

/// Draws one frame and applies what it found out (scroll offsets, page height).
pub fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    images: &mut Images,
    theme: &Theme,
    keymap: &Keymap,
) -> std::result::Result<(), B::Error> {
    let mut drawn = app::Drawn::default();
    terminal.draw(|frame| drawn = panes::draw(frame, app, images, theme, keymap))?;
    app.drawn(drawn);
    Ok(())
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut session: Session,
    options: UiOptions,
    detection: Detection,
) -> Result<()>
where
    B::Error: std::fmt::Display,
{
    let (outbox, inbox) = channel();
    let triage = Triage::load(&session.dataset);
    let text_model = session.text_model.take();
    let mut app = App::new(session.dataset.clone(), session.bank.clone(), triage);
    app.compute_in_background(outbox.clone());
    if let Some(open) = text_model {
        app.set_caption_worker(typed_caption::CaptionWorker::spawn(open, outbox.clone()));
    }
    match session.fitted.take() {
        Some(model) => app.set_model(model, true),
        None => start_fit(&session, outbox.clone()),
    }
    if let Some(view) = session.comparison.take() {
        app.set_comparison(view);
    }
    let mut images =
        Images::threaded(detection.graphics, outbox.clone()).with_advice(detection.advice);
    let exports = Pool::new(1, usize::MAX, outbox.clone(), |job: export::ExportJob| {
        Some(Message::Exported(job.run()))
    });
    // The newest copy of the triage holds every change before it: older waiting saves go.
    let saves = Pool::new(1, 1, outbox.clone(), |mut triage: Triage| {
        Some(Message::TriageSaved(
            triage.save().map(|()| triage).map_err(|e| e.to_string()),
        ))
    });
    let hand_off = |app: &mut App| {
        if let Some(text) = app.pending_copy.take() {
            copy_to_clipboard(&text);
        }
        if let Some(request) = app.pending_export.take() {
            exports.submit(export::ExportJob::new(app, request));
        }
        if std::mem::take(&mut app.pending_triage_save) {
            saves.submit(app.triage.clone());
        }
    };
    // Keys typed while the terminal was being asked what it can draw count as typed now.
    for key in detection.typed {
        handle_event(&mut app, &options.keymap, Event::Key(key));
        hand_off(&mut app);
    }
    workers::read_terminal(outbox.clone());
    drop(outbox);
    let draw_error = |e: B::Error| Error::Internal(format!("drawing the screen: {e}"));
    while !app.quit {
        draw(
            terminal,
            &mut app,
            &mut images,
            &options.theme,
            &options.keymap,
        )
        .map_err(draw_error)?;
        #[cfg(feature = "test-hooks")]
        simulate_panic();
        // Blocks until something happens; then takes in everything else that is waiting, so
        // a burst of decoded previews costs one frame.
        let Ok(message) = inbox.recv() else {
            break;
        };
        apply(&mut app, &mut images, &options.keymap, message);
        for message in inbox.try_iter() {
            apply(&mut app, &mut images, &options.keymap, message);
            if app.quit {
                break;
            }
        }
        hand_off(&mut app);
    }
    Ok(())
}

/// The terminal test of the panic path sets FAULTLINE_TEST_PANIC_AFTER_DRAW=1 to panic once the
/// first frame is drawn, as a bug would (only in builds with the `test-hooks` feature).
#[cfg(feature = "test-hooks")]
fn simulate_panic() {
    if std::env::var_os("FAULTLINE_TEST_PANIC_AFTER_DRAW").is_some_and(|v| v == "1") {
        panic!("FAULTLINE_TEST_PANIC_AFTER_DRAW");
    }
}

/// Leaves the terminal as the explorer found it: mouse reporting off, the main screen back,
/// cooked mode, the cursor shown.
fn restore_terminal() {
    mouse(false);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
    ratatui::restore();
}

/// Opens the explorer in comparison mode on what `faultline diff` compared: the before model's
/// modes, with the after model's predictions and the verdicts.
pub fn run_comparison(compared: crate::cli::diff::Compared, options: UiOptions) -> Result<()> {
    let crate::cli::diff::Compared {
        pair,
        before,
        bank,
        comparison,
        sources,
        ..
    } = compared;
    let label = format!(
        "{} → {}",
        crate::text::visible(&sources.0.prediction_column),
        crate::text::visible(&sources.1.prediction_column)
    );
    let label = if sources.0.path == sources.1.path {
        label
    } else {
        format!(
            "{} → {}",
            crate::text::visible(&file_name(&sources.0.path)),
            crate::text::visible(&file_name(&sources.1.path))
        )
    };
    let session = Session {
        dataset: Arc::new(pair.before),
        bank: bank.map(Arc::new),
        fit_options: before.options.clone(),
        use_cache: true,
        text_model: None,
        fitted: Some(Arc::new(before)),
        comparison: Some(Arc::new(comparison::ComparisonView {
            after: Arc::new(pair.after),
            diff: comparison,
            label,
        })),
    };
    run(session, options)
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Opens the explorer; the terminal is restored on return, on error, on panic and on SIGINT,
/// SIGTERM or SIGHUP from outside.
pub fn run(session: Session, options: UiOptions) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "the explorer needs a terminal; use `faultline report` for scripts",
        ));
    }
    let mut terminal =
        ratatui::try_init().map_err(|e| Error::Internal(format!("starting the terminal: {e}")))?;
    crate::signals::on_signal(Some(restore_terminal));
    // ratatui's panic hook leaves the alternate screen but not mouse reporting.
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !crate::panic_guard::is_guarded() {
            restore_terminal();
        }
        ratatui_hook(info);
    }));
    // Asked before mouse reporting is on, so the answers are not mixed with mouse reports.
    let detection = graphics::detect(options.image_protocol, graphics::Environment::current());
    mouse(true);
    let result = event_loop(&mut terminal, session, options, detection);
    restore_terminal();
    crate::signals::on_signal(None);
    result
}
