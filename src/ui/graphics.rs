//! Which picture protocol the terminal speaks, found out once at start-up, and how thumbnails
//! are encoded for it.
//!
//! Detection asks the terminal (kitty graphics query, cell size, primary device attributes)
//! and reads the answers on the calling thread with a deadline, so nothing is left reading
//! stdin afterwards, and every byte that is not an answer (keys the user typed while waiting)
//! is kept and handed back as key events: the first key press always counts.
//!
//! Inside tmux the queries go to the outer terminal through tmux's passthrough (`ESC P tmux;`
//! with every inner ESC doubled), so tmux's own answers (it reports no sixel) do not hide what
//! the real terminal can do. When passthrough is off, pictures cannot reach the terminal:
//! previews fall back to half-blocks and the preview pane says which tmux setting to change.
//! faultline never changes the user's tmux settings itself.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use image::DynamicImage;
use ratatui::layout::Size;
use ratatui_image::picker::ProtocolType;
use ratatui_image::protocol::halfblocks::Halfblocks;
use ratatui_image::protocol::iterm2::Iterm2;
use ratatui_image::protocol::kitty::Kitty;
use ratatui_image::protocol::sixel::Sixel;
use ratatui_image::protocol::Protocol;
use ratatui_image::{FontSize, Resize};
use std::time::{Duration, Instant};

/// The user's `--image-protocol` (or the config file's `image_protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolChoice {
    Auto,
    Kitty,
    Sixel,
    Iterm2,
    Halfblocks,
    None,
}

impl ProtocolChoice {
    pub const ALL: [ProtocolChoice; 6] = [
        ProtocolChoice::Auto,
        ProtocolChoice::Kitty,
        ProtocolChoice::Sixel,
        ProtocolChoice::Iterm2,
        ProtocolChoice::Halfblocks,
        ProtocolChoice::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProtocolChoice::Auto => "auto",
            ProtocolChoice::Kitty => "kitty",
            ProtocolChoice::Sixel => "sixel",
            ProtocolChoice::Iterm2 => "iterm2",
            ProtocolChoice::Halfblocks => "halfblocks",
            ProtocolChoice::None => "none",
        }
    }

    /// From a name as the config file gives it (any case).
    pub fn parse(name: &str) -> Option<ProtocolChoice> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// How long the terminal has to answer. Generous, because over SSH an answer takes a round
/// trip, and cheap, because keys typed meanwhile are kept and every terminal answers the
/// device-attributes query that ends the wait.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(1000);

/// The environment variables detection reads (a struct, so tests can set them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    pub term: String,
    pub term_program: String,
    pub tmux: String,
    pub tmux_pane: String,
    pub lc_terminal: String,
    pub colorterm: String,
}

impl Environment {
    pub fn current() -> Environment {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        Environment {
            term: var("TERM"),
            term_program: var("TERM_PROGRAM"),
            tmux: var("TMUX"),
            tmux_pane: var("TMUX_PANE"),
            lc_terminal: var("LC_TERMINAL"),
            colorterm: var("COLORTERM"),
        }
    }

    /// Inside tmux: its socket variable, or a terminal type only tmux sets.
    pub fn in_tmux(&self) -> bool {
        !self.tmux.is_empty() || self.term_program == "tmux" || self.term.starts_with("tmux")
    }

    /// An outer terminal that speaks iTerm2's protocol, from the variables it sets (they survive
    /// into tmux).
    fn iterm2(&self) -> bool {
        const PROGRAMS: [&str; 6] = ["iTerm", "WezTerm", "mintty", "vscode", "Tabby", "rio"];
        PROGRAMS.iter().any(|p| self.term_program.contains(p)) || self.lc_terminal.contains("iTerm")
    }

    /// Colours the terminal shows, from COLORTERM and TERM.
    pub fn colour_depth(&self) -> &'static str {
        if self.colorterm == "truecolor" || self.colorterm == "24bit" {
            "24-bit (COLORTERM)"
        } else if self.term.contains("256color") {
            "256 (TERM)"
        } else {
            "16 or fewer (neither COLORTERM nor TERM says more)"
        }
    }
}

/// tmux's `allow-passthrough` for this pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passthrough {
    On,
    Off,
    /// tmux could not be asked (no `tmux` on PATH, an older tmux without the option, or a tmux
    /// on another machine, as with ssh from inside a local tmux).
    Unknown(String),
}

/// Asks tmux for the pane's `allow-passthrough` (inherited values included), waiting at most
/// half a second.
pub fn tmux_passthrough(env: &Environment) -> Passthrough {
    let mut command = std::process::Command::new("tmux");
    command.args(["show-options", "-Apv"]);
    if !env.tmux_pane.is_empty() {
        command.args(["-t", &env.tmux_pane]);
    }
    command.arg("allow-passthrough");
    match run_briefly(command) {
        Ok(output) => match output.trim() {
            "on" | "all" => Passthrough::On,
            "off" => Passthrough::Off,
            other => Passthrough::Unknown(format!("tmux answered {other:?}")),
        },
        Err(e) => Passthrough::Unknown(e),
    }
}

/// `tmux -V`, when tmux can be run.
pub fn tmux_version() -> Option<String> {
    let mut command = std::process::Command::new("tmux");
    command.arg("-V");
    run_briefly(command).ok().map(|v| v.trim().to_string())
}

/// Runs `command` with no stdin, returning its stdout, or why not; killed after 500 ms.
fn run_briefly(mut command: std::process::Command) -> Result<String, String> {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tmux: {e}"))?;
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("tmux did not answer within 500 ms".into());
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "tmux said: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// What the terminal answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replies {
    /// The kitty graphics query was acknowledged.
    pub kitty: bool,
    /// Primary device attributes, e.g. "?63;1;2;4;6;9;15;22" (4 means sixel).
    pub device_attributes: Option<String>,
    /// Cell size in pixels (width, height) from `CSI 16 t`.
    pub cell: Option<(u16, u16)>,
    /// The device status report that ends a bare terminal's answers.
    pub status: bool,
    /// The terminal's name and version (XTVERSION), e.g. "kitty(0.26.5)".
    pub version: Option<String>,
}

impl Replies {
    /// A kitty older than 0.28, which has the graphics protocol but not the unicode
    /// placeholders previews are drawn with (it shows boxes instead of the picture).
    pub fn kitty_without_placeholders(&self) -> bool {
        let Some(version) = self.version.as_deref() else {
            return false;
        };
        let Some(numbers) = version
            .strip_prefix("kitty(")
            .and_then(|v| v.strip_suffix(')'))
        else {
            return false;
        };
        let mut parts = numbers.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) < (0, 28)
    }

    pub fn sixel(&self) -> bool {
        self.device_attributes
            .as_deref()
            .is_some_and(|da| da.trim_start_matches('?').split(';').any(|p| p == "4"))
    }
}

/// The queries, in the order the answers come back; the last one's answer ends the wait.
/// Inside tmux they are wrapped for passthrough and end with device attributes (the outer
/// terminal's answer arrives after anything tmux answers itself); a bare terminal gets a
/// device status report last.
pub fn query_bytes(tmux: bool) -> Vec<u8> {
    // Kitty graphics, cell size, the terminal's name and version (XTVERSION), device attributes.
    let inner = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[>0q\x1b[c";
    if tmux {
        let mut out = b"\x1bPtmux;".to_vec();
        out.extend(inner.replace('\x1b', "\x1b\x1b").bytes());
        out.extend(b"\x1b\\");
        out
    } else {
        format!("{inner}\x1b[5n").into_bytes()
    }
}

/// Splits what stdin delivered into the terminal's answers and everything else (the user's
/// typing), byte for byte. An incomplete answer at the end counts as typing.
pub fn split_replies(bytes: &[u8]) -> (Replies, Vec<u8>) {
    let mut replies = Replies::default();
    let mut typed = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(len) = reply_at(&bytes[i..], &mut replies) {
            i += len;
        } else {
            typed.push(bytes[i]);
            i += 1;
        }
    }
    (replies, typed)
}

/// Recognises one answer at the start of `bytes`, recording it; returns its length.
fn reply_at(bytes: &[u8], replies: &mut Replies) -> Option<usize> {
    if bytes.starts_with(b"\x1bP>|") {
        let end = find(bytes, b"\x1b\\")?;
        replies.version = Some(String::from_utf8_lossy(&bytes[4..end]).into_owned());
        return Some(end + 2);
    }
    if bytes.starts_with(b"\x1b_G") {
        let end = find(bytes, b"\x1b\\")?;
        let body = &bytes[3..end];
        if find(body, b";OK").is_some() {
            replies.kitty = true;
        }
        return Some(end + 2);
    }
    let rest = bytes.strip_prefix(b"\x1b[")?;
    let params_len = rest
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b';' || *b == b'?'))?;
    let params = std::str::from_utf8(&rest[..params_len]).ok()?;
    let total = 2 + params_len + 1;
    match rest[params_len] {
        b'c' if params.starts_with('?') => replies.device_attributes = Some(params.to_string()),
        b'n' if params == "0" || params == "3" => replies.status = true,
        b't' if params.starts_with("6;") => {
            let mut parts = params[2..].split(';').map(str::parse::<u16>);
            if let (Some(Ok(h)), Some(Ok(w))) = (parts.next(), parts.next()) {
                if w > 0 && h > 0 {
                    replies.cell = Some((w, h));
                }
            }
        }
        _ => return None,
    }
    Some(total)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether the answers so far end the wait.
fn complete(bytes: &[u8], tmux: bool) -> bool {
    let (replies, _) = split_replies(bytes);
    if tmux {
        replies.device_attributes.is_some()
    } else {
        replies.status
    }
}

/// Sends the queries and reads answers until the last one arrives or `timeout` passes.
/// Returns the answers, the bytes the user typed meanwhile, and how long it took. Needs the
/// terminal in raw mode.
pub fn query_terminal(
    tmux: bool,
    timeout: Duration,
) -> std::io::Result<(Replies, Vec<u8>, Duration)> {
    use std::io::Write;
    let start = Instant::now();
    let mut out = std::io::stdout();
    out.write_all(&query_bytes(tmux))?;
    out.flush()?;
    let mut bytes = Vec::new();
    let deadline = start + timeout;
    while !complete(&bytes, tmux) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || !read_stdin(&mut bytes, left)? {
            break;
        }
    }
    let (replies, typed) = split_replies(&bytes);
    Ok((replies, typed, start.elapsed()))
}

/// Reads stdin until a device-attributes answer arrives or `timeout` passes (raw mode).
pub fn read_until_device_attributes(timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut bytes = Vec::new();
    while split_replies(&bytes).0.device_attributes.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || !read_stdin(&mut bytes, left).unwrap_or(false) {
            break;
        }
    }
    bytes
}

/// Reads what stdin has within `wait`; false when nothing came (or stdin closed).
fn read_stdin(bytes: &mut Vec<u8>, wait: Duration) -> std::io::Result<bool> {
    let mut poll = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = wait.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, its count, a finite timeout.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    if ready < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            Ok(true)
        } else {
            Err(e)
        };
    }
    if ready == 0 || poll.revents & libc::POLLIN == 0 {
        return Ok(false);
    }
    let mut chunk = [0u8; 1024];
    // SAFETY: reads at most chunk.len() bytes into chunk.
    let read = unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) };
    if read <= 0 {
        return Ok(false);
    }
    bytes.extend_from_slice(&chunk[..read as usize]);
    Ok(true)
}

/// Key events in bytes the user typed (raw mode): characters, Enter, Tab, Backspace, Esc,
/// Ctrl and Alt with a character, arrows, Home/End, PageUp/PageDown, Shift-Tab. Anything else
/// (a mouse report, an unknown sequence) is dropped whole.
pub fn decode_keys(bytes: &[u8]) -> Vec<KeyEvent> {
    let mut keys = Vec::new();
    let mut i = 0;
    let key = |code, modifiers| KeyEvent::new(code, modifiers);
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1b {
            let rest = &bytes[i + 1..];
            if let Some((code, len)) = escape_key(rest) {
                if let Some(code) = code {
                    keys.push(key(code, KeyModifiers::NONE));
                }
                i += 1 + len;
                continue;
            }
            match rest.first() {
                Some(&c) if c.is_ascii_graphic() => {
                    keys.push(key(KeyCode::Char(c as char), KeyModifiers::ALT));
                    i += 2;
                }
                _ => {
                    keys.push(key(KeyCode::Esc, KeyModifiers::NONE));
                    i += 1;
                }
            }
            continue;
        }
        let (code, modifiers, len) = match b {
            b'\r' | b'\n' => (KeyCode::Enter, KeyModifiers::NONE, 1),
            b'\t' => (KeyCode::Tab, KeyModifiers::NONE, 1),
            0x7f | 0x08 => (KeyCode::Backspace, KeyModifiers::NONE, 1),
            0x01..=0x1a => (
                KeyCode::Char((b - 1 + b'a') as char),
                KeyModifiers::CONTROL,
                1,
            ),
            0x00..=0x1f => (KeyCode::Null, KeyModifiers::NONE, 1),
            _ => {
                let len = utf8_len(b).min(bytes.len() - i);
                match std::str::from_utf8(&bytes[i..i + len])
                    .ok()
                    .and_then(|s| s.chars().next())
                {
                    Some(c) => (KeyCode::Char(c), KeyModifiers::NONE, len),
                    None => (KeyCode::Null, KeyModifiers::NONE, 1),
                }
            }
        };
        if code != KeyCode::Null {
            keys.push(key(code, modifiers));
        }
        i += len;
    }
    keys
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// A CSI or SS3 key after ESC: its key (None for a sequence recognised but dropped, like a
/// mouse report) and length.
fn escape_key(rest: &[u8]) -> Option<(Option<KeyCode>, usize)> {
    let (&intro, body) = rest.split_first()?;
    if intro == b'O' {
        let code = match body.first()? {
            b'A' => KeyCode::Up,
            b'B' => KeyCode::Down,
            b'C' => KeyCode::Right,
            b'D' => KeyCode::Left,
            b'H' => KeyCode::Home,
            b'F' => KeyCode::End,
            _ => return Some((None, 2)),
        };
        return Some((Some(code), 2));
    }
    if intro != b'[' {
        return None;
    }
    let end = body.iter().position(|b| (0x40..=0x7e).contains(b))?;
    let params = &body[..end];
    let code = match (params, body[end]) {
        (b"", b'A') => Some(KeyCode::Up),
        (b"", b'B') => Some(KeyCode::Down),
        (b"", b'C') => Some(KeyCode::Right),
        (b"", b'D') => Some(KeyCode::Left),
        (b"", b'H') | (b"1", b'~') | (b"7", b'~') => Some(KeyCode::Home),
        (b"", b'F') | (b"4", b'~') | (b"8", b'~') => Some(KeyCode::End),
        (b"", b'Z') => Some(KeyCode::BackTab),
        (b"5", b'~') => Some(KeyCode::PageUp),
        (b"6", b'~') => Some(KeyCode::PageDown),
        (b"3", b'~') => Some(KeyCode::Delete),
        _ => None,
    };
    Some((code, 2 + end))
}

/// What detection found and decided.
#[derive(Debug, Clone)]
pub struct Detection {
    pub env: Environment,
    /// Inside tmux: its passthrough setting.
    pub tmux: Option<Passthrough>,
    /// None when the terminal was not asked (a forced protocol without a need, no terminal,
    /// tmux blocking the way).
    pub replies: Option<Replies>,
    pub elapsed: Duration,
    /// Cell size in pixels and where it came from.
    pub cell: Option<((u16, u16), &'static str)>,
    /// What previews use; None turns them off.
    pub graphics: Option<Graphics>,
    /// Why this protocol, in a few words.
    pub reason: String,
    /// What the user could change to get real pictures, said once in the preview pane.
    pub advice: Option<String>,
    /// Keys typed while the terminal was being asked, to be handled as if read later.
    pub typed: Vec<KeyEvent>,
}

pub const TMUX_ADVICE: &str =
    "tmux blocks pictures: `tmux set -g allow-passthrough on`, then restart (see faultline doctor)";

/// Finds out how to draw pictures, asking the terminal when `choice` needs it. Call with the
/// terminal in raw mode and before anything else reads stdin.
pub fn detect(choice: ProtocolChoice, env: Environment) -> Detection {
    use std::io::IsTerminal;
    let mut detection = Detection {
        tmux: env.in_tmux().then(|| tmux_passthrough(&env)),
        env,
        replies: None,
        elapsed: Duration::ZERO,
        cell: None,
        graphics: None,
        reason: String::new(),
        advice: None,
        typed: Vec::new(),
    };
    match choice {
        ProtocolChoice::None => {
            detection.reason = "turned off (--image-protocol none)".into();
            return detection;
        }
        ProtocolChoice::Halfblocks => {
            detection.graphics = Some(Graphics::halfblocks());
            detection.reason = "chosen (--image-protocol halfblocks)".into();
            return detection;
        }
        _ => {}
    }
    let tmux = detection.tmux.clone();
    let blocked = tmux == Some(Passthrough::Off);
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !blocked {
        if let Ok((replies, typed, elapsed)) = query_terminal(tmux.is_some(), QUERY_TIMEOUT) {
            detection.typed = decode_keys(&typed);
            detection.elapsed = elapsed;
            detection.replies = Some(replies);
        }
    }
    detection.cell = detection
        .replies
        .as_ref()
        .and_then(|r| r.cell)
        .map(|c| (c, "the terminal's answer"))
        .or_else(|| window_cell_size().map(|c| (c, "the window size in pixels")));
    let replies = detection.replies.clone().unwrap_or_default();
    let old_kitty = replies.kitty && replies.kitty_without_placeholders();
    let detected = if old_kitty {
        None
    } else if replies.kitty {
        Some((
            ProtocolType::Kitty,
            "the terminal acknowledged a kitty graphics query",
        ))
    } else if replies.sixel() {
        Some((
            ProtocolType::Sixel,
            "the terminal's device attributes include sixel",
        ))
    } else if detection.env.iterm2() {
        Some((
            ProtocolType::Iterm2,
            "TERM_PROGRAM / LC_TERMINAL name an iTerm2-protocol terminal",
        ))
    } else {
        None
    };
    let forced = match choice {
        ProtocolChoice::Kitty => Some(ProtocolType::Kitty),
        ProtocolChoice::Sixel => Some(ProtocolType::Sixel),
        ProtocolChoice::Iterm2 => Some(ProtocolType::Iterm2),
        _ => None,
    };
    let (kind, reason) = match (forced, detected) {
        (Some(kind), _) => (kind, "chosen with --image-protocol".to_string()),
        (None, Some((kind, why))) => (kind, why.to_string()),
        (None, None) if old_kitty => (
            ProtocolType::Halfblocks,
            format!(
                "{} has kitty graphics but not the unicode placeholders previews need (kitty 0.28+)",
                replies.version.as_deref().unwrap_or("this kitty")
            ),
        ),
        (None, None) if blocked => (
            ProtocolType::Halfblocks,
            "tmux's allow-passthrough is off, so the terminal cannot be asked".to_string(),
        ),
        (None, None) if !terminal => (ProtocolType::Halfblocks, "not a terminal".to_string()),
        (None, None)
            if detection
                .replies
                .as_ref()
                .is_some_and(|r| r.device_attributes.is_none() && !r.status) =>
        {
            (
                ProtocolType::Halfblocks,
                format!(
                    "the terminal did not answer within {} ms",
                    QUERY_TIMEOUT.as_millis()
                ),
            )
        }
        (None, None) => (
            ProtocolType::Halfblocks,
            "the terminal reports neither kitty graphics nor sixel".to_string(),
        ),
    };
    // Pixel protocols need the cell size; without it, pictures would be drawn at a guess.
    let (kind, reason) = match (kind, detection.cell) {
        (ProtocolType::Halfblocks, _) | (_, Some(_)) => (kind, reason),
        (_, None) if forced.is_some() => {
            (kind, format!("{reason}; cell size unknown, guessed 10x20"))
        }
        (_, None) => (
            ProtocolType::Halfblocks,
            format!("{reason}, but the cell size in pixels is unknown"),
        ),
    };
    if blocked {
        detection.advice = Some(TMUX_ADVICE.to_string());
    } else if old_kitty && forced.is_none() {
        detection.advice = Some(format!(
            "{} cannot show these previews: upgrade to kitty 0.28 or later for pictures",
            replies.version.as_deref().unwrap_or("this kitty")
        ));
    }
    let font = detection
        .cell
        .map_or(FontSize::new(10, 20), |((w, h), _)| FontSize::new(w, h));
    detection.graphics = Some(Graphics {
        kind,
        font: if kind == ProtocolType::Halfblocks {
            FontSize::new(10, 20)
        } else {
            font
        },
        tmux: tmux.is_some(),
    });
    detection.reason = reason;
    detection
}

/// The cell size from the window size in pixels (TIOCGWINSZ), when the terminal fills it in.
fn window_cell_size() -> Option<(u16, u16)> {
    let size = crossterm::terminal::window_size().ok()?;
    if size.width == 0 || size.height == 0 || size.columns == 0 || size.rows == 0 {
        return None;
    }
    Some((size.width / size.columns, size.height / size.rows))
}

/// How thumbnails are encoded: the protocol, the cell size in pixels, and whether escapes go
/// through tmux.
#[derive(Debug, Clone, Copy)]
pub struct Graphics {
    pub kind: ProtocolType,
    pub font: FontSize,
    pub tmux: bool,
}

impl Graphics {
    pub fn halfblocks() -> Graphics {
        Graphics {
            kind: ProtocolType::Halfblocks,
            font: FontSize::new(10, 20),
            tmux: false,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            ProtocolType::Halfblocks => "half-blocks",
            ProtocolType::Sixel => "sixel",
            ProtocolType::Kitty => "kitty",
            ProtocolType::Iterm2 => "iTerm2",
        }
    }

    /// Drawn by the terminal over the cells (so stale pictures must be cleared), rather than
    /// as characters.
    pub fn draws_pixels(&self) -> bool {
        matches!(self.kind, ProtocolType::Sixel | ProtocolType::Iterm2)
    }

    /// `image` scaled to fit `area` (cells), keeping its proportions, padded to the whole
    /// area for pixel protocols so a new picture always covers the last one.
    pub fn encode(&self, image: DynamicImage, area: Size) -> Result<Protocol, String> {
        let resize = Resize::Scale(None);
        let fitted = resize.size_for(&image, self.font, area);
        let size = if self.draws_pixels() { area } else { fitted };
        if size.width == 0 || size.height == 0 {
            return Err("no room for the picture".into());
        }
        let image = if self.draws_pixels() {
            let scaled = resize.resize(&image, self.font, fitted, None);
            let (w, h) = (
                u32::from(area.width) * u32::from(self.font.width),
                u32::from(area.height) * u32::from(self.font.height),
            );
            let mut canvas = image::RgbaImage::from_pixel(w, h, image::Rgba([0, 0, 0, 255]));
            image::imageops::overlay(&mut canvas, &scaled, 0, 0);
            DynamicImage::ImageRgba8(canvas)
        } else if self.kind == ProtocolType::Halfblocks {
            // Stretched to whole cells (at most half a cell out of proportion): a picture that
            // ended half-way down its last cell would show a strip of background there.
            image.resize_exact(
                u32::from(size.width) * u32::from(self.font.width),
                u32::from(size.height) * u32::from(self.font.height),
                image::imageops::FilterType::Triangle,
            )
        } else {
            resize.resize(&image, self.font, size, None)
        };
        let err = |e: ratatui_image::errors::Errors| e.to_string();
        Ok(match self.kind {
            ProtocolType::Halfblocks => {
                Protocol::Halfblocks(Halfblocks::new(image, size).map_err(err)?)
            }
            ProtocolType::Sixel => Protocol::Sixel(Sixel {
                data: sixel(&image, size, self.tmux)?,
                size,
                is_tmux: self.tmux,
            }),
            ProtocolType::Kitty => {
                Protocol::Kitty(Kitty::new(image, size, kitty_id(), self.tmux, false).map_err(err)?)
            }
            ProtocolType::Iterm2 => {
                Protocol::ITerm2(Iterm2::new(image, size, self.tmux).map_err(err)?)
            }
        })
    }
}

/// A kitty image id unlikely to collide with another program's in the same terminal.
fn kitty_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (std::process::id().wrapping_mul(2_654_435_761) ^ n.wrapping_mul(40_503)) | 1
}

/// The sixel sequence for `image`, erasing the cells under it first; inside tmux the sixel,
/// its own string terminator included, goes through passthrough with every ESC doubled (ratatui-image 11 leaves the terminator bare, which ends tmux's passthrough early
/// and loses the picture).
pub fn sixel(image: &DynamicImage, size: Size, tmux: bool) -> Result<String, String> {
    let rgba = image.to_rgba8();
    let data = icy_sixel::sixel_encode(
        rgba.as_raw(),
        rgba.width() as usize,
        rgba.height() as usize,
        &icy_sixel::EncodeOptions::default(),
    )
    .map_err(|e| format!("sixel encoding: {e}"))?;
    let mut clear = String::with_capacity(16 * size.height as usize);
    for _ in 0..size.height {
        clear.push_str(&format!("\x1b[{}X\x1b[1B", size.width));
    }
    clear.push_str(&format!("\x1b[{}A", size.height));
    Ok(if tmux {
        // tmux 3.3 writes passthrough wherever the outer terminal's cursor happens to be, and
        // moves that cursor lazily. The erase goes to tmux itself (its own copy of the cells
        // is blanked too), and the last erase, of this cell, makes tmux put the outer cursor
        // here before the picture is passed through.
        format!(
            "{clear}\x1b[1X\x1bPtmux;{}\x1b\\",
            data.replace('\x1b', "\x1b\x1b")
        )
    } else {
        clear + &data
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_split_from_typing_byte_for_byte() {
        let bytes = b"j\x1b_Gi=31;OK\x1b\\\x1b[6;20;10tq\x1b[?63;1;2;4;22c\x1b[0nk";
        let (replies, typed) = split_replies(bytes);
        assert!(replies.kitty);
        assert_eq!(replies.cell, Some((10, 20)));
        assert!(replies.sixel());
        assert!(replies.status);
        assert_eq!(typed, b"jqk");
    }

    #[test]
    fn tmux_own_attributes_mean_no_sixel_and_arrow_keys_are_typing() {
        let (replies, typed) = split_replies(b"\x1b[A\x1b[?1;2c\x1b[5~");
        assert_eq!(replies.device_attributes.as_deref(), Some("?1;2"));
        assert!(
            !replies.sixel(),
            "4 must be a whole parameter, not a digit of 14"
        );
        assert_eq!(
            decode_keys(&typed),
            vec![
                KeyEvent::new(KeyCode::Up, KeyModifiers::NONE),
                KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE)
            ]
        );
        let (replies, _) = split_replies(b"\x1b[?62;14;22c");
        assert!(!replies.sixel());
    }

    #[test]
    fn an_old_kitty_is_told_apart_by_its_version() {
        let (replies, typed) =
            split_replies(b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.26.5)\x1b\\\x1b[?62;c\x1b[0n");
        assert!(typed.is_empty());
        assert_eq!(replies.version.as_deref(), Some("kitty(0.26.5)"));
        assert!(replies.kitty && replies.kitty_without_placeholders());
        let (replies, _) = split_replies(b"\x1bP>|kitty(0.31.0)\x1b\\");
        assert!(!replies.kitty_without_placeholders());
        let (replies, _) = split_replies(b"\x1bP>|XTerm(379)\x1b\\");
        assert!(!replies.kitty_without_placeholders());
    }

    #[test]
    fn a_refused_kitty_query_is_not_kitty() {
        let (replies, typed) = split_replies(b"\x1b_Gi=31;ENOTSUPPORTED:x\x1b\\");
        assert!(!replies.kitty);
        assert!(typed.is_empty());
    }

    #[test]
    fn typed_bytes_become_the_keys_crossterm_would_report() {
        let keys = decode_keys("jq\r\t\x7f\x03é\x1bx\x1b[Z\x1bOB\x1b".as_bytes());
        let k = KeyEvent::new;
        assert_eq!(
            keys,
            vec![
                k(KeyCode::Char('j'), KeyModifiers::NONE),
                k(KeyCode::Char('q'), KeyModifiers::NONE),
                k(KeyCode::Enter, KeyModifiers::NONE),
                k(KeyCode::Tab, KeyModifiers::NONE),
                k(KeyCode::Backspace, KeyModifiers::NONE),
                k(KeyCode::Char('c'), KeyModifiers::CONTROL),
                k(KeyCode::Char('é'), KeyModifiers::NONE),
                k(KeyCode::Char('x'), KeyModifiers::ALT),
                k(KeyCode::BackTab, KeyModifiers::NONE),
                k(KeyCode::Down, KeyModifiers::NONE),
                k(KeyCode::Esc, KeyModifiers::NONE),
            ]
        );
        // A mouse report typed before capture was on is dropped whole, not read as keys.
        assert!(decode_keys(b"\x1b[<0;10;5M").is_empty());
    }

    #[test]
    fn tmux_queries_double_every_escape_inside_passthrough() {
        let q = query_bytes(true);
        let text = String::from_utf8(q).unwrap();
        let inner = text
            .strip_prefix("\x1bPtmux;")
            .and_then(|t| t.strip_suffix("\x1b\\"))
            .unwrap();
        assert!(!inner.replace("\x1b\x1b", "").contains('\x1b'), "{inner:?}");
        assert!(query_bytes(false).ends_with(b"\x1b[5n"));
    }

    #[test]
    fn sixel_inside_tmux_is_one_passthrough_with_its_terminator_escaped() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            20,
            40,
            image::Rgb([200, 30, 30]),
        ));
        let bare = sixel(&image, Size::new(2, 2), false).unwrap();
        assert!(bare.contains("\x1bP") && bare.ends_with("\x1b\\"));
        let wrapped = sixel(&image, Size::new(2, 2), true).unwrap();
        let clear = "\x1b[2X\x1b[1B\x1b[2X\x1b[1B\x1b[2A";
        let sixel = bare.strip_prefix(clear).unwrap();
        let inner = wrapped
            .strip_prefix(&format!("{clear}\x1b[1X\x1bPtmux;"))
            .and_then(|t| t.strip_suffix("\x1b\\"))
            .unwrap();
        // No bare ESC inside: tmux ends passthrough at the first ESC \ that is not doubled.
        assert!(!inner.replace("\x1b\x1b", "").contains('\x1b'));
        assert_eq!(inner.replace("\x1b\x1b", "\x1b"), sixel);
    }

    #[test]
    fn pixel_pictures_fill_their_whole_area() {
        let graphics = Graphics {
            kind: ProtocolType::Sixel,
            font: FontSize::new(8, 16),
            tmux: false,
        };
        let wide =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(100, 10, image::Rgb([1, 2, 3])));
        let protocol = graphics.encode(wide, Size::new(10, 6)).unwrap();
        assert_eq!(protocol.size(), Size::new(10, 6));
        let blocks = Graphics::halfblocks()
            .encode(
                DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                    100,
                    10,
                    image::Rgb([1, 2, 3]),
                )),
                Size::new(10, 6),
            )
            .unwrap();
        assert!(
            blocks.size().height < 6,
            "half-blocks keep the picture's own shape"
        );
    }

    #[test]
    fn tmux_is_recognised_from_its_variables() {
        let mut env = Environment {
            term: "xterm-256color".into(),
            ..Default::default()
        };
        assert!(!env.in_tmux());
        env.tmux = "/tmp/tmux-0/default,1,0".into();
        assert!(env.in_tmux());
        let env = Environment {
            term: "tmux-256color".into(),
            ..Default::default()
        };
        assert!(env.in_tmux());
    }
}
