//! Inline image previews, encoded for the protocol `graphics` detected at start-up. Decoding
//! and resizing run on worker threads; the UI draws whatever is ready and a message otherwise. A missing or corrupt image is a message in
//! the pane, never an error that ends the app.
//!
//! Previews never wait on one another: only regular files are opened (a FIFO or device path is
//! a message at once), the newest request is decoded first, requests scrolled past are dropped,
//! and when every worker is busy (an image on a slow disk) another one starts, up to
//! [`MAX_WORKERS`].

use super::graphics::Graphics;
use super::workers::{ImageKey, Message, Outbox, Pool};
use ratatui::layout::{Rect, Size};
use ratatui_image::protocol::Protocol;
use std::collections::HashMap;
use std::path::PathBuf;

pub enum ImageState {
    Loading,
    Ready(Protocol),
    Failed(String),
}

struct Request {
    key: Key,
    path: PathBuf,
}

type Key = ImageKey;

/// Decoder threads at most; one stuck on a slow file leaves the others working.
pub const MAX_WORKERS: usize = 6;
/// Requests waiting at most; older ones (rows scrolled past) are dropped.
const MAX_WAITING: usize = 32;

/// Previews by (row, width, height), loaded off the UI thread.
pub struct Images {
    graphics: Option<Graphics>,
    workers: Option<Pool<Request>>,
    cache: HashMap<Key, ImageState>,
    /// What to change for real pictures (tmux passthrough off), said in the preview pane.
    advice: Option<String>,
    /// Areas where the terminal drew a picture in the last frame, and in this one so far:
    /// with sixel or iTerm2 the terminal keeps the pixels until the cells are written again.
    last_frame: Vec<Rect>,
    this_frame: Vec<Rect>,
}

fn load(graphics: &Graphics, path: &std::path::Path, size: Size) -> ImageState {
    let decoded = match crate::files::decode_image(path) {
        Ok(img) => img,
        Err(message) => return ImageState::Failed(message),
    };
    match graphics.encode(decoded, size) {
        Ok(protocol) => ImageState::Ready(protocol),
        Err(e) => ImageState::Failed(format!("cannot render {}: {e}", path.display())),
    }
}

impl Images {
    /// Decodes on worker threads; finished previews arrive in `outbox` as [`Message::Image`].
    pub fn threaded(graphics: Option<Graphics>, outbox: Outbox) -> Images {
        Images {
            workers: graphics.map(|graphics| {
                Pool::new(MAX_WORKERS, MAX_WAITING, outbox, move |r: Request| {
                    let size = Size::new(r.key.1, r.key.2);
                    Some(Message::Image(r.key, load(&graphics, &r.path, size)))
                })
            }),
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
                    for request in dropped {
                        self.cache.remove(&request.key);
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

    /// Takes in a finished decode.
    pub fn insert(&mut self, key: ImageKey, state: ImageState) {
        self.cache.insert(key, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::mkfifo;
    use std::path::Path;
    use std::sync::mpsc::{channel, Receiver};
    use std::time::Duration;

    /// Takes in decodes until none of `requests` is loading; panics after 20 s.
    fn settle(
        images: &mut Images,
        inbox: &Receiver<Message>,
        requests: &[(usize, &Path)],
        size: Size,
    ) {
        for (row, path) in requests {
            images.get(*row, path, size);
        }
        while requests
            .iter()
            .any(|(row, path)| matches!(images.get(*row, path, size), Some(ImageState::Loading)))
        {
            match inbox.recv_timeout(Duration::from_secs(20)) {
                Ok(Message::Image(key, state)) => images.insert(key, state),
                Ok(_) => {}
                Err(_) => panic!("a preview never loaded"),
            }
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
        let (outbox, inbox) = channel();
        let mut images = Images::threaded(Some(Graphics::halfblocks()), outbox);
        let size = Size::new(8, 4);
        let requests = [
            (0, fifo.as_path()),
            (1, Path::new("/dev/zero")),
            (2, png.as_path()),
        ];
        settle(&mut images, &inbox, &requests, size);
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
}
