//! Inline image previews, encoded for the protocol `graphics` detected at start-up. Decoding
//! and resizing run on worker threads; the UI draws whatever is ready and a message otherwise. A missing or corrupt image is a message in
//! the pane, never an error that ends the app.
//!
//! Previews never wait on one another: only regular files are opened (a FIFO or device path is
//! a message at once), the newest request is decoded first, requests scrolled past are dropped,
//! and when every worker is busy (an image on a slow disk) another one starts, up to
//! [`MAX_WORKERS`].

use super::graphics::Graphics;
use ratatui::layout::{Rect, Size};
use ratatui_image::protocol::Protocol;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};

pub enum ImageState {
    Loading,
    Ready(Protocol),
    Failed(String),
}

struct Request {
    key: Key,
    path: PathBuf,
}

type Key = (usize, u16, u16);

/// Decoder threads at most; one stuck on a slow file leaves the others working.
pub const MAX_WORKERS: usize = 6;
/// Requests waiting at most; older ones (rows scrolled past) are dropped.
const MAX_WAITING: usize = 32;

/// Requests shared with the workers: newest last, and how many workers wait for one.
struct Queue {
    state: Mutex<QueueState>,
    wake: Condvar,
}

#[derive(Default)]
struct QueueState {
    waiting: Vec<Request>,
    idle: usize,
    workers: usize,
    closed: bool,
}

/// Previews by (row, width, height), loaded off the UI thread.
pub struct Images {
    graphics: Option<Graphics>,
    workers: Option<Workers>,
    cache: HashMap<Key, ImageState>,
    /// What to change for real pictures (tmux passthrough off), said in the preview pane.
    advice: Option<String>,
    /// Areas where the terminal drew a picture in the last frame, and in this one so far:
    /// with sixel or iTerm2 the terminal keeps the pixels until the cells are written again.
    last_frame: Vec<Rect>,
    this_frame: Vec<Rect>,
}

struct Workers {
    graphics: Graphics,
    queue: Arc<Queue>,
    done_tx: Sender<(Key, ImageState)>,
    loaded: Receiver<(Key, ImageState)>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.queue
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .closed = true;
        self.queue.wake.notify_all();
    }
}

impl Workers {
    fn new(graphics: Graphics) -> Workers {
        let (done_tx, loaded) = channel();
        Workers {
            graphics,
            queue: Arc::new(Queue {
                state: Mutex::new(QueueState::default()),
                wake: Condvar::new(),
            }),
            done_tx,
            loaded,
        }
    }

    /// Queues `request` (newest first); returns the keys of requests dropped to make room.
    fn submit(&self, request: Request) -> Vec<Key> {
        let mut state = self.queue.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.push(request);
        let excess = state.waiting.len().saturating_sub(MAX_WAITING);
        let dropped = state.waiting.drain(..excess).map(|r| r.key).collect();
        if state.idle == 0 && state.workers < MAX_WORKERS {
            state.workers += 1;
            self.spawn();
        }
        drop(state);
        self.queue.wake.notify_one();
        dropped
    }

    fn spawn(&self) {
        let queue = self.queue.clone();
        let graphics = self.graphics;
        let done = self.done_tx.clone();
        std::thread::spawn(move || loop {
            let request = {
                let mut state = queue.state.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if state.closed {
                        return;
                    }
                    if let Some(request) = state.waiting.pop() {
                        break request;
                    }
                    state.idle += 1;
                    state = queue.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                    state.idle -= 1;
                }
            };
            let size = Size::new(request.key.1, request.key.2);
            let state = load(&graphics, &request.path, size);
            if done.send((request.key, state)).is_err() {
                return;
            }
        });
    }
}

/// Largest picture decoded; bigger files (or decompression bombs) are refused with a message.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

fn load(graphics: &Graphics, path: &std::path::Path, size: Size) -> ImageState {
    let opened = crate::files::open_regular(path).and_then(|file| {
        image::ImageReader::new(std::io::BufReader::new(file)).with_guessed_format()
    });
    let mut reader = match opened {
        Ok(r) => r,
        Err(e) => return ImageState::Failed(format!("cannot open {}: {e}", path.display())),
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = match reader.decode() {
        Ok(img) => img,
        Err(e) => return ImageState::Failed(format!("cannot decode {}: {e}", path.display())),
    };
    match graphics.encode(decoded, size) {
        Ok(protocol) => ImageState::Ready(protocol),
        Err(e) => ImageState::Failed(format!("cannot render {}: {e}", path.display())),
    }
}

impl Images {
    /// Decodes on worker threads.
    pub fn threaded(graphics: Option<Graphics>) -> Images {
        Images {
            workers: graphics.map(Workers::new),
            ..Images::synchronous(graphics)
        }
    }

    /// Decodes on the calling thread (tests: deterministic frames).
    pub fn synchronous(graphics: Option<Graphics>) -> Images {
        Images {
            graphics,
            workers: None,
            cache: HashMap::new(),
            advice: None,
            last_frame: Vec::new(),
            this_frame: Vec::new(),
        }
    }

    /// Says `advice` in the preview pane (why there are no real pictures, what to change).
    pub fn with_advice(mut self, advice: Option<String>) -> Images {
        self.advice = advice;
        self
    }

    pub fn advice(&self) -> Option<&str> {
        self.advice.as_deref()
    }

    pub fn enabled(&self) -> bool {
        self.graphics.is_some()
    }

    pub fn protocol_name(&self) -> &'static str {
        self.graphics.as_ref().map_or("off", Graphics::name)
    }

    /// The preview of `row` at `size`, requesting it if new.
    pub fn get(&mut self, row: usize, path: &std::path::Path, size: Size) -> Option<&ImageState> {
        let graphics = self.graphics?;
        let key = (row, size.width, size.height);
        if !self.cache.contains_key(&key) {
            if self.cache.len() > 256 {
                self.cache.clear();
            }
            let state = match &self.workers {
                Some(workers) => {
                    let dropped = workers.submit(Request {
                        key,
                        path: path.to_path_buf(),
                    });
                    // Asked again when the user comes back to them.
                    for key in dropped {
                        self.cache.remove(&key);
                    }
                    ImageState::Loading
                }
                None => load(&graphics, path, size),
            };
            self.cache.insert(key, state);
        }
        self.cache.get(&key)
    }

    /// Whether the terminal draws pictures as pixels over the cells (sixel, iTerm2).
    pub fn draws_pixels(&self) -> bool {
        self.graphics.as_ref().is_some_and(Graphics::draws_pixels)
    }

    /// Records that a picture was drawn over `area` in this frame.
    pub fn drew(&mut self, area: Rect) {
        if self.draws_pixels() {
            self.this_frame.push(area);
        }
    }

    /// Whether `area` showed a picture in the last frame (a loading preview leaves it there
    /// until the next one covers it, instead of flashing a message).
    pub fn showed(&self, area: Rect) -> bool {
        self.last_frame.contains(&area)
    }

    /// Ends a frame: returns the areas whose picture is gone, which the caller must have the
    /// terminal write again (so their pixels are cleared).
    pub fn end_frame(&mut self) -> Vec<Rect> {
        let gone = self
            .last_frame
            .iter()
            .filter(|a| !self.this_frame.contains(a))
            .copied()
            .collect();
        self.last_frame = std::mem::take(&mut self.this_frame);
        gone
    }

    /// Takes finished decodes; true when any arrived (the screen needs a redraw).
    pub fn poll(&mut self) -> bool {
        let Some(rx) = self.workers.as_ref().map(|w| &w.loaded) else {
            return false;
        };
        let mut any = false;
        while let Ok((key, state)) = rx.try_recv() {
            self.cache.insert(key, state);
            any = true;
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::mkfifo;
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Waits until none of `rows` is loading; panics after 20 s.
    fn settle(images: &mut Images, requests: &[(usize, &Path)], size: Size) {
        let start = Instant::now();
        loop {
            images.poll();
            let loading = requests.iter().any(|(row, path)| {
                matches!(images.get(*row, path, size), Some(ImageState::Loading))
            });
            if !loading {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "a preview never loaded"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_fifo_or_device_path_never_stops_later_previews() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("stuck.png");
        mkfifo(&fifo);
        let png = dir.path().join("fine.png");
        image::RgbImage::from_pixel(6, 6, image::Rgb([200, 10, 10]))
            .save(&png)
            .unwrap();
        let mut images = Images::threaded(Some(Graphics::halfblocks()));
        let size = Size::new(8, 4);
        let requests = [
            (0, fifo.as_path()),
            (1, Path::new("/dev/zero")),
            (2, png.as_path()),
        ];
        for (row, path) in requests {
            images.get(row, path, size);
        }
        settle(&mut images, &requests, size);
        match images.get(0, &fifo, size) {
            Some(ImageState::Failed(m)) => assert!(m.contains("FIFO"), "{m}"),
            _ => panic!("the FIFO was not refused"),
        }
        match images.get(1, Path::new("/dev/zero"), size) {
            Some(ImageState::Failed(m)) => assert!(m.contains("character device"), "{m}"),
            _ => panic!("the device was not refused"),
        }
        assert!(matches!(
            images.get(2, &png, size),
            Some(ImageState::Ready(_))
        ));
    }

    #[test]
    fn requests_scrolled_past_are_dropped_and_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.png");
        image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]))
            .save(&png)
            .unwrap();
        let workers = Workers::new(Graphics::halfblocks());
        // With every worker slot taken and none started, requests wait: queue more than fit.
        let mut dropped = Vec::new();
        {
            let mut state = workers.queue.state.lock().unwrap();
            state.workers = MAX_WORKERS;
        }
        for row in 0..MAX_WAITING + 5 {
            dropped.extend(workers.submit(Request {
                key: (row, 1, 1),
                path: png.clone(),
            }));
        }
        assert_eq!(dropped, (0..5).map(|r| (r, 1, 1)).collect::<Vec<_>>());
        let state = workers.queue.state.lock().unwrap();
        assert_eq!(
            state.waiting.last().unwrap().key.0,
            MAX_WAITING + 4,
            "newest last, taken first"
        );
    }
}
