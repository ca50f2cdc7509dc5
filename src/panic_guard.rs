//! Third-party decoders can panic on corrupt bytes. Reading input runs inside [`guard`], which
//! turns such a panic into an input error naming the file; the panic hook stays quiet for those,
//! so the user sees one clear message and exit code 2, not a backtrace.

use crate::error::{Error, Result};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Installs a hook that prints panics as usual, except those caught by [`guard`].
pub fn install_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !GUARDED.with(Cell::get) {
            default(info);
        }
    }));
}

/// True inside [`guard`] on this thread: a panic here is caught and reported as bad input.
pub fn is_guarded() -> bool {
    GUARDED.with(Cell::get)
}

/// Runs `read`, reporting a panic inside it as corrupt input in `file`.
pub fn guard<T>(file: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    let was = GUARDED.with(|g| g.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(was));
    outcome.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown failure");
        Err(Error::input(
            file,
            format!("corrupt or unreadable data (the decoder failed: {detail})"),
        ))
    })
}
