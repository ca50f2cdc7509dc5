//! The explorer: a keyboard-driven TUI over the analysis core. State lives in `app` (tested
//! without a terminal), drawing in `panes`, keys in `keymap`; fitting and image decoding run on
//! worker threads so the UI never waits on them.

pub mod action;
pub mod app;
pub mod config;
pub mod doctor;
pub mod export;
pub mod findings;
pub mod graphics;
pub mod images;
pub mod keymap;
pub mod panes;
pub mod theme;
pub mod triage;
pub mod typed_caption;

use crate::analysis::cache::{fit_cached_with_progress, CacheUse};
use crate::analysis::direction::FitOptions;
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::Dataset;
use crate::error::{Error, Result};
use app::{App, FitState};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers, MouseEventKind};
use graphics::{Detection, ProtocolChoice};
use images::Images;
use keymap::Keymap;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;
use theme::Theme;
use triage::Triage;

/// What the explorer looks at.
pub struct Session {
    pub dataset: Arc<Dataset>,
    pub bank: Option<Arc<CaptionBank>>,
    pub fit_options: FitOptions,
    pub use_cache: bool,
    /// Opens the text model for typed captions (--model), on first use.
    pub text_model: Option<typed_caption::OpenEmbedder>,
}

pub struct UiOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    pub image_protocol: ProtocolChoice,
}

type FitResult = Result<(Model, CacheUse)>;

/// Starts the fit on a worker thread; progress is counted in the returned counter.
pub fn start_fit(session: &Session) -> (Arc<AtomicUsize>, Receiver<FitResult>) {
    let done = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    let dataset = session.dataset.clone();
    let options = session.fit_options.clone();
    let use_cache = session.use_cache;
    let counter = done.clone();
    std::thread::spawn(move || {
        let _ = tx.send(fit_cached_with_progress(
            &dataset, &options, use_cache, &counter,
        ));
    });
    (done, rx)
}

/// Applies a finished fit (or its progress) to the app; true when something changed.
pub fn poll_fit(app: &mut App, done: &AtomicUsize, rx: &Receiver<FitResult>) -> bool {
    match rx.try_recv() {
        Ok(Ok((model, cache))) => {
            app.set_model(Arc::new(model), cache == CacheUse::Hit);
            true
        }
        Ok(Err(e)) => {
            app.set_fit_failed(e.to_string());
            true
        }
        Err(_) => {
            if let FitState::Running { done: shown, total } = app.fit {
                let now = done.load(Ordering::Relaxed).min(total);
                if now != shown {
                    app.fit = FitState::Running { done: now, total };
                    return true;
                }
            }
            false
        }
    }
}

/// Routes one terminal event to the app.
pub fn handle_event(app: &mut App, keymap: &Keymap, event: Event) {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => {
            if app.is_typing() {
                match key.code {
                    KeyCode::Enter => app.confirm(),
                    KeyCode::Esc => app.cancel(),
                    KeyCode::Backspace => app.backspace(),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        app.cancel()
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        app.type_char(c)
                    }
                    _ => {}
                }
            } else if let Some(action) = keymap.action(key) {
                app.update(action);
            }
        }
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => app.update(action::Action::Down),
            MouseEventKind::ScrollUp => app.update(action::Action::Up),
            _ => {}
        },
        _ => {}
    }
}

/// Performs an export the app asked for, reporting the outcome in the status line.
pub fn run_pending_export(app: &mut App) {
    if let Some(request) = app.pending_export.take() {
        app.status = Some(match export::write(app, &request) {
            Ok(message) => message,
            Err(e) => format!("export failed: {e}"),
        });
    }
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
    let triage = Triage::load(&session.dataset);
    let text_model = session.text_model.take();
    let mut app = App::new(session.dataset.clone(), session.bank.clone(), triage);
    app.compute_in_background();
    if let Some(open) = text_model {
        app.set_caption_worker(typed_caption::CaptionWorker::spawn(open));
    }
    let (done, fits) = start_fit(&session);
    let mut images = Images::threaded(detection.graphics).with_advice(detection.advice);
    // Keys typed while the terminal was being asked what it can draw count as typed now.
    for key in detection.typed {
        handle_event(&mut app, &options.keymap, Event::Key(key));
        run_pending_export(&mut app);
    }
    let draw_error = |e: B::Error| Error::Internal(format!("drawing the screen: {e}"));
    let mut dirty = true;
    while !app.quit {
        dirty |= poll_fit(&mut app, &done, &fits);
        dirty |= images.poll();
        dirty |= app.poll_findings();
        dirty |= app.poll_typed_caption();
        if dirty {
            terminal
                .draw(|frame| {
                    panes::draw(
                        frame,
                        &mut app,
                        &mut images,
                        &options.theme,
                        &options.keymap,
                    )
                })
                .map_err(draw_error)?;
            dirty = false;
            simulate_panic();
        }
        if event::poll(Duration::from_millis(50)).map_err(|e| Error::Internal(e.to_string()))? {
            let event = event::read().map_err(|e| Error::Internal(e.to_string()))?;
            handle_event(&mut app, &options.keymap, event);
            run_pending_export(&mut app);
            dirty = true;
        }
    }
    Ok(())
}

/// The terminal test of the panic path sets FAULTLINE_TEST_PANIC_AFTER_DRAW=1 to panic once the
/// first frame is drawn, as a bug would.
fn simulate_panic() {
    if std::env::var_os("FAULTLINE_TEST_PANIC_AFTER_DRAW").is_some_and(|v| v == "1") {
        panic!("FAULTLINE_TEST_PANIC_AFTER_DRAW");
    }
}

/// Leaves the terminal as the explorer found it: mouse reporting off, the main screen back,
/// cooked mode, the cursor shown.
fn restore_terminal() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::cursor::Show
    );
    ratatui::restore();
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
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = event_loop(&mut terminal, session, options, detection);
    restore_terminal();
    crate::signals::on_signal(None);
    result
}
