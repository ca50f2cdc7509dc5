//! What happens when faultline is told to stop (SIGINT, SIGTERM, SIGHUP from outside): the
//! temporary files and folders it is writing are removed, the terminal is restored when the
//! explorer has it, and the process then dies of the signal as it would have without us (so a
//! shell sees the usual status). The work runs on a thread of its own, not in a signal handler,
//! so it may take locks and do I/O.

use std::io;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static ON_SIGNAL: Mutex<Option<fn()>> = Mutex::new(None);

const SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the thread that handles the signals; called once by the binary.
pub fn install() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new(SIGNALS) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until the process ends, so nothing new is created while it goes.
            let mut pending = pending();
            for path in pending.drain(..) {
                if path.is_dir() {
                    let _ = std::fs::remove_dir_all(&path);
                } else {
                    let _ = std::fs::remove_file(&path);
                }
            }
            let restore = *ON_SIGNAL.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(restore) = restore {
                restore();
            }
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

/// Removes the registration when dropped (the file was renamed into place, or removed).
#[must_use]
pub struct RemovedOnSignal(PathBuf);

impl Drop for RemovedOnSignal {
    fn drop(&mut self) {
        pending().retain(|p| p != &self.0);
    }
}

/// Creates a temporary file or folder with `create` (which returns it and its path) and
/// registers the path for removal on a signal, in one step: a signal cannot fall between them.
pub fn create_removed_on_signal<T>(
    create: impl FnOnce() -> io::Result<(T, PathBuf)>,
) -> io::Result<(T, RemovedOnSignal)> {
    let mut pending = pending();
    let (made, path) = create()?;
    pending.push(path.clone());
    Ok((made, RemovedOnSignal(path)))
}

/// Registers `restore` to run on a signal (the explorer's terminal restore), or clears it.
pub fn on_signal(restore: Option<fn()>) {
    *ON_SIGNAL.lock().unwrap_or_else(|e| e.into_inner()) = restore;
}
