//! The explorer's one worker abstraction and its one channel.
//!
//! Everything that happens to the explorer arrives as a [`Message`] on one channel that the
//! event loop blocks on: terminal input (read by its own thread), fit progress and the fitted
//! model, findings, decoded previews, typed-caption scores, finished exports and triage saves.
//! Work runs in [`Pool`]s: requests wait on a stack (the newest is taken first: where the cursor
//! is now), the oldest are dropped beyond a bound (rows scrolled past), and another thread starts
//! when every one is busy, up to a maximum, so one stuck job (an image on a hung disk) never
//! blocks the others.

use crate::analysis::findings::{ClassFindings, SharedFindings};
use crate::analysis::Model;
use crate::error::Result;
use crate::storage::fit_cache::CacheUse;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

/// A decoded preview: (row, width, height) and its state.
pub type ImageKey = (usize, u16, u16);

pub enum Message {
    /// A key, a mouse event, a resize.
    Terminal(crossterm::event::Event),
    /// Classes fitted so far.
    FitProgress(usize),
    Fitted(Box<Result<(Model, CacheUse)>>),
    Findings(u32, Arc<ClassFindings>),
    /// The findings of every shared mode.
    Shared(Arc<Vec<SharedFindings>>),
    Image(ImageKey, super::images::ImageState),
    Caption(super::typed_caption::Response),
    /// An export finished: what to tell the user.
    Exported(String),
    /// The triage as merged and saved, or why it was not saved.
    TriageSaved(std::result::Result<super::triage::Triage, String>),
}

pub type Outbox = Sender<Message>;

/// Threads that take requests newest first and send what they make to the outbox.
pub struct Pool<R: Send + 'static> {
    shared: Arc<Shared<R>>,
}

type Work<R> = dyn Fn(R) -> Option<Message> + Send + Sync;

struct Shared<R> {
    state: Mutex<State<R>>,
    wake: Condvar,
    work: Box<Work<R>>,
    outbox: Outbox,
    max_workers: usize,
    max_waiting: usize,
}

struct State<R> {
    waiting: Vec<R>,
    idle: usize,
    workers: usize,
    closed: bool,
}

impl<R: Send + 'static> Pool<R> {
    /// Up to `max_workers` threads running `work`; at most `max_waiting` requests wait.
    pub fn new(
        max_workers: usize,
        max_waiting: usize,
        outbox: Outbox,
        work: impl Fn(R) -> Option<Message> + Send + Sync + 'static,
    ) -> Pool<R> {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    waiting: Vec::new(),
                    idle: 0,
                    workers: 0,
                    closed: false,
                }),
                wake: Condvar::new(),
                work: Box::new(work),
                outbox,
                max_workers: max_workers.max(1),
                max_waiting: max_waiting.max(1),
            }),
        }
    }

    /// Queues `request`; returns the requests dropped to make room (oldest first).
    pub fn submit(&self, request: R) -> Vec<R> {
        let mut state = self.shared.lock();
        state.waiting.push(request);
        let excess = state.waiting.len().saturating_sub(self.shared.max_waiting);
        let dropped = state.waiting.drain(..excess).collect();
        if state.idle == 0 && state.workers < self.shared.max_workers {
            state.workers += 1;
            let shared = self.shared.clone();
            std::thread::spawn(move || shared.run());
        }
        drop(state);
        self.shared.wake.notify_one();
        dropped
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.shared.lock().waiting.len()
    }
}

impl<R> Shared<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        loop {
            let request = {
                let mut state = self.lock();
                loop {
                    if state.closed {
                        return;
                    }
                    if let Some(request) = state.waiting.pop() {
                        break request;
                    }
                    state.idle += 1;
                    state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                    state.idle -= 1;
                }
            };
            if let Some(message) = (self.work)(request) {
                if self.outbox.send(message).is_err() {
                    return;
                }
            }
        }
    }
}

impl<R: Send + 'static> Drop for Pool<R> {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }
}

/// Reads terminal events on a thread of its own into the outbox, until the loop goes away.
pub fn read_terminal(outbox: Outbox) {
    std::thread::spawn(move || loop {
        match crossterm::event::read() {
            Ok(event) => {
                if outbox.send(Message::Terminal(event)).is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn newest_first_bounded_and_a_stuck_job_does_not_block_the_rest() {
        let (outbox, inbox) = channel();
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let pool_gate = gate.clone();
        let pool = Pool::new(2, 3, outbox, move |n: usize| {
            if n == 0 {
                // The stuck job: waits until the test lets it go.
                drop(pool_gate.lock().unwrap());
            }
            Some(Message::Exported(n.to_string()))
        });
        pool.submit(0);
        std::thread::sleep(Duration::from_millis(50));
        // One worker is stuck on 0; a second one starts and serves the rest.
        assert!(pool.submit(1).is_empty());
        let first = inbox.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(first, Message::Exported(ref n) if n == "1"));
        drop(held);
        let second = inbox.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(second, Message::Exported(ref n) if n == "0"));
    }

    #[test]
    fn the_oldest_waiting_requests_are_dropped() {
        let (outbox, _inbox) = channel();
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let pool_gate = gate.clone();
        let pool = Pool::new(1, 3, outbox, move |_: usize| {
            drop(pool_gate.lock().unwrap());
            None
        });
        pool.submit(100);
        std::thread::sleep(Duration::from_millis(50));
        let mut dropped = Vec::new();
        for n in 0..6 {
            dropped.extend(pool.submit(n));
        }
        assert_eq!(dropped, vec![0, 1, 2]);
        assert_eq!(pool.waiting(), 3);
        drop(held);
    }
}
