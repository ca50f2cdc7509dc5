//! `faultline doctor`: what the explorer would use in this terminal and why, then one test
//! picture drawn the way the explorer draws previews. The first thing to ask a user who sees
//! no images.

use super::graphics::{self, Detection, Environment, Passthrough, ProtocolChoice};
use crate::error::{Error, Result};
use ratatui::layout::Size;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// DEC private modes the explorer needs, asked with DECRQM after turning them on.
const MODES: [(u16, &str); 2] = [(1049, "alternate screen"), (1006, "mouse")];

pub fn run(choice: ProtocolChoice) -> Result<()> {
    let env = Environment::current();
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let mut lines = vec![
        "faultline doctor: what the explorer would use here, and why".to_string(),
        String::new(),
        format!(
            "terminal          TERM={} TERM_PROGRAM={} COLORTERM={}",
            or_unset(&env.term),
            or_unset(&env.term_program),
            or_unset(&env.colorterm)
        ),
    ];
    if !terminal {
        lines.push("                  stdin or stdout is not a terminal: the explorer cannot open here, and the terminal cannot be asked".into());
    }
    let (detection, modes) = if terminal {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| Error::Internal(format!("raw mode: {e}")))?;
        let detection = graphics::detect(choice, env.clone());
        let modes = ask_modes();
        let _ = crossterm::terminal::disable_raw_mode();
        (detection, modes)
    } else {
        (graphics::detect(choice, env.clone()), None)
    };
    describe(&detection, modes.as_deref(), terminal, &mut lines);
    let mut out = std::io::stdout().lock();
    for line in &lines {
        writeln!(out, "{}", crate::text::visible(line)).map_err(Error::Stdout)?;
    }
    out.flush().map_err(Error::Stdout)?;
    drop(out);
    if terminal {
        if let Some(graphics) = detection.graphics {
            draw_test_picture(graphics)?;
        }
    }
    Ok(())
}

fn or_unset(value: &str) -> &str {
    if value.is_empty() {
        "(unset)"
    } else {
        value
    }
}

fn describe(
    detection: &Detection,
    modes: Option<&[(u16, Option<u8>)]>,
    terminal: bool,
    lines: &mut Vec<String>,
) {
    let tmux = match &detection.tmux {
        None => "not inside tmux".to_string(),
        Some(passthrough) => {
            let version = graphics::tmux_version().unwrap_or_else(|| "version unknown".into());
            let setting = match passthrough {
                Passthrough::On => "allow-passthrough on: pictures reach the outer terminal".into(),
                Passthrough::Off => {
                    "allow-passthrough off: pictures cannot reach the terminal".into()
                }
                Passthrough::Unknown(why) => format!("allow-passthrough unknown ({why})"),
            };
            format!("{version}, {setting}")
        }
    };
    lines.push(format!("tmux              {tmux}"));
    let asked = match &detection.replies {
        None => "not asked".to_string(),
        Some(r) => format!(
            "answered in {:.1} ms: {}, kitty graphics {}, device attributes {}, cell size {}",
            detection.elapsed.as_secs_f64() * 1000.0,
            r.version.as_deref().unwrap_or("no name/version"),
            if r.kitty { "yes" } else { "no" },
            r.device_attributes.as_deref().unwrap_or("no answer"),
            r.cell
                .map_or("no answer".to_string(), |(w, h)| format!("{w}x{h}")),
        ),
    };
    lines.push(format!("terminal asked    {asked}"));
    let protocol = detection.graphics.as_ref().map_or("none", |g| g.name());
    lines.push(format!(
        "image protocol    {protocol}: {}",
        detection.reason
    ));
    lines.push(format!(
        "cell size         {}",
        detection
            .cell
            .map_or("unknown".to_string(), |((w, h), from)| format!(
                "{w}x{h} pixels ({from})"
            ))
    ));
    lines.push(format!(
        "colours           {}",
        detection.env.colour_depth()
    ));
    for (mode, name) in MODES {
        let state = match modes.map(|m| m.iter().find(|(n, _)| *n == mode).and_then(|(_, s)| *s)) {
            None => "not checked (not a terminal)".to_string(),
            Some(None) => "unknown (the terminal does not answer mode requests)".to_string(),
            Some(Some(1 | 3)) => "works".to_string(),
            Some(Some(0)) => "not supported".to_string(),
            Some(Some(state)) => format!("does not turn on (DECRQM state {state})"),
        };
        lines.push(format!("{:<18}{state}", format!("{name} ")));
    }
    lines.push(
        "                  (with mouse reporting on, hold Shift while dragging to select text)"
            .into(),
    );
    if let Some(advice) = &detection.advice {
        lines.push(format!("advice            {advice}"));
    }
    if terminal && detection.graphics.is_some() {
        lines.push(String::new());
        lines.push(format!(
            "test picture ({protocol}): red, green, blue and white quarters"
        ));
    }
}

/// Turns on the alternate screen and mouse reporting, asks whether they took (DECRQM), and
/// turns them off again. None when the terminal could not be asked.
fn ask_modes() -> Option<Vec<(u16, Option<u8>)>> {
    let mut query = String::from("\x1b[?1049h\x1b[?1000h\x1b[?1006h");
    for (mode, _) in MODES {
        query.push_str(&format!("\x1b[?{mode}$p"));
    }
    // Device attributes last: every terminal (tmux too) answers, so it ends the wait.
    query.push_str("\x1b[?1006l\x1b[?1000l\x1b[?1049l\x1b[c");
    let mut out = std::io::stdout();
    out.write_all(query.as_bytes()).ok()?;
    out.flush().ok()?;
    let answers = graphics::read_until_device_attributes(Duration::from_millis(1000));
    Some(
        MODES
            .iter()
            .map(|(mode, _)| (*mode, mode_state(&answers, *mode)))
            .collect(),
    )
}

/// The state in a DECRQM answer `ESC [ ? mode ; state $ y`.
fn mode_state(answers: &[u8], mode: u16) -> Option<u8> {
    let prefix = format!("\x1b[?{mode};");
    let text = String::from_utf8_lossy(answers);
    let at = text.find(&prefix)? + prefix.len();
    let rest = &text[at..];
    let end = rest.find("$y")?;
    rest[..end].parse().ok()
}

/// Draws the test picture on the next lines, as the explorer would draw a preview.
fn draw_test_picture(graphics: graphics::Graphics) -> Result<()> {
    let picture = test_picture();
    let size = Size::new(24, 8);
    let protocol = graphics
        .encode(picture, size)
        .map_err(|e| Error::Internal(format!("encoding the test picture: {e}")))?;
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let options = ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Inline(size.height + 1),
    };
    crossterm::terminal::enable_raw_mode()
        .map_err(|e| Error::Internal(format!("raw mode: {e}")))?;
    let drawn = ratatui::Terminal::with_options(backend, options).and_then(|mut terminal| {
        terminal.draw(|frame| {
            let area = frame.area();
            let area = ratatui::layout::Rect {
                width: size.width.min(area.width),
                height: size.height.min(area.height),
                ..area
            };
            frame.render_widget(ratatui_image::Image::new(&protocol), area);
        })?;
        Ok(())
    });
    let _ = crossterm::terminal::disable_raw_mode();
    println!();
    drawn.map_err(|e| Error::Internal(format!("drawing the test picture: {e}")))
}

/// Four flat quarters, so a screenshot can check each colour.
pub fn test_picture() -> image::DynamicImage {
    let picture = image::RgbImage::from_fn(96, 64, |x, y| match (x < 48, y < 32) {
        (true, true) => image::Rgb([220, 30, 30]),
        (false, true) => image::Rgb([30, 200, 60]),
        (true, false) => image::Rgb([40, 60, 220]),
        (false, false) => image::Rgb([240, 240, 240]),
    });
    image::DynamicImage::ImageRgb8(picture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_answers_are_read() {
        let answers = b"\x1b[?1049;1$y\x1b[?1006;2$y\x1b[?62;4c";
        assert_eq!(mode_state(answers, 1049), Some(1));
        assert_eq!(mode_state(answers, 1006), Some(2));
        assert_eq!(mode_state(answers, 1000), None);
    }
}
