//! Inline image previews. The terminal's protocol (kitty, sixel, iTerm2, or half-blocks) is
//! detected once at start-up with a short timeout, so a terminal or tmux that never answers
//! costs a fraction of a second, not two. Decoding and resizing run on a worker thread; the UI
//! draws whatever is ready and a message otherwise. A missing or corrupt image is a message in
//! the pane, never an error that ends the app.

use ratatui::layout::Size;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;
use ratatui_image::Resize;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolChoice {
    Auto,
    Kitty,
    Sixel,
    Iterm2,
    Halfblocks,
    None,
}

/// How long to wait for the terminal to answer the capability query.
const QUERY_TIMEOUT: Duration = Duration::from_millis(300);

/// The picker for `choice`; None disables previews. Call after the terminal is in raw mode.
pub fn picker(choice: ProtocolChoice) -> Option<Picker> {
    match choice {
        ProtocolChoice::None => return None,
        // Half-blocks need no font size: never query the terminal for them.
        ProtocolChoice::Halfblocks => return Some(Picker::halfblocks()),
        _ => {}
    }
    let queried = if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let options = ratatui_image::picker::cap_parser::QueryStdioOptions {
            timeout: QUERY_TIMEOUT,
            ..Default::default()
        };
        Picker::from_query_stdio_with_options(options).ok()
    } else {
        None
    };
    let mut picker = queried.unwrap_or_else(Picker::halfblocks);
    let forced = match choice {
        ProtocolChoice::Kitty => Some(ProtocolType::Kitty),
        ProtocolChoice::Sixel => Some(ProtocolType::Sixel),
        ProtocolChoice::Iterm2 => Some(ProtocolType::Iterm2),
        ProtocolChoice::Auto | ProtocolChoice::Halfblocks | ProtocolChoice::None => None,
    };
    if let Some(protocol) = forced {
        picker.set_protocol_type(protocol);
    }
    Some(picker)
}

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

/// Previews by (row, width, height), loaded off the UI thread.
pub struct Images {
    picker: Option<Picker>,
    requests: Option<Sender<Request>>,
    loaded: Option<Receiver<(Key, ImageState)>>,
    cache: HashMap<Key, ImageState>,
}

/// Largest picture decoded; bigger files (or decompression bombs) are refused with a message.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

fn load(picker: &Picker, path: &PathBuf, size: Size) -> ImageState {
    let mut reader = match image::ImageReader::open(path).and_then(|r| r.with_guessed_format()) {
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
    // Scale, not Fit: small thumbnails should fill the pane too.
    match picker.new_protocol(decoded, size, Resize::Scale(None)) {
        Ok(protocol) => ImageState::Ready(protocol),
        Err(e) => ImageState::Failed(format!("cannot render {}: {e}", path.display())),
    }
}

impl Images {
    /// Decodes on a worker thread.
    pub fn threaded(picker: Option<Picker>) -> Images {
        let (requests, loaded) = match &picker {
            Some(p) => {
                let (req_tx, req_rx) = channel::<Request>();
                let (done_tx, done_rx) = channel();
                let worker_picker = p.clone();
                std::thread::spawn(move || {
                    while let Ok(request) = req_rx.recv() {
                        let size = Size::new(request.key.1, request.key.2);
                        let state = load(&worker_picker, &request.path, size);
                        if done_tx.send((request.key, state)).is_err() {
                            break;
                        }
                    }
                });
                (Some(req_tx), Some(done_rx))
            }
            None => (None, None),
        };
        Images {
            picker,
            requests,
            loaded,
            cache: HashMap::new(),
        }
    }

    /// Decodes on the calling thread (tests: deterministic frames).
    pub fn synchronous(picker: Option<Picker>) -> Images {
        Images {
            picker,
            requests: None,
            loaded: None,
            cache: HashMap::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.picker.is_some()
    }

    pub fn protocol_name(&self) -> &'static str {
        match self.picker.as_ref().map(Picker::protocol_type) {
            None => "off",
            Some(ProtocolType::Halfblocks) => "half-blocks",
            Some(ProtocolType::Sixel) => "sixel",
            Some(ProtocolType::Kitty) => "kitty",
            Some(ProtocolType::Iterm2) => "iTerm2",
        }
    }

    /// The preview of `row` at `size`, requesting it if new.
    pub fn get(&mut self, row: usize, path: &PathBuf, size: Size) -> Option<&ImageState> {
        let picker = self.picker.as_ref()?;
        let key = (row, size.width, size.height);
        if !self.cache.contains_key(&key) {
            if self.cache.len() > 256 {
                self.cache.clear();
            }
            let state = match &self.requests {
                Some(tx) => {
                    let _ = tx.send(Request {
                        key,
                        path: path.clone(),
                    });
                    ImageState::Loading
                }
                None => load(picker, path, size),
            };
            self.cache.insert(key, state);
        }
        self.cache.get(&key)
    }

    /// Takes finished decodes; true when any arrived (the screen needs a redraw).
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.loaded else {
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
