//! Text from input files on its way to a terminal. Class names, captions, ids, split values and
//! file names are untrusted: a crafted one could retitle the window (OSC 0), write the clipboard
//! (OSC 52), move the cursor or reorder what the user reads (bidi overrides). [`visible`] writes
//! every such character as a visible escape instead. JSON and CSV keep the exact text: their
//! formats escape it (see [`json_for_terminal`] for what JSON leaves raw).

use std::borrow::Cow;
use std::fmt::Write;

/// True for the characters a terminal would act on or that change how text reads: C0 controls
/// (newline and tab included), DEL, C1 controls, and the bidi embedding, override, isolate and
/// mark characters.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with each unsafe character written as `\xHH` (up to U+00FF) or `\u{HHHH}`; borrowed
/// unchanged when there is none, which is the common case.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) <= 0xFF {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Writes one message to standard error, every unsafe character escaped (line breaks too: one
/// message is one line). A closed or full stderr is ignored: there is nowhere left to say so,
/// and `eprintln!` would panic.
pub fn message(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", visible(text));
}

/// JSON text with the characters serde_json leaves raw but a terminal may act on (DEL, C1
/// controls, bidi formatting) written as `\uXXXX` escapes. The JSON stays valid and decodes to
/// the same strings: outside strings JSON is ASCII, so every such character lies in a string.
pub fn json_for_terminal(json: String) -> String {
    if !json.chars().any(is_unsafe_in_json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe_in_json(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json escapes C0 inside strings itself; the newlines and spaces of pretty output are JSON
/// structure.
fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && (c as u32) >= 0x20
}

/// C in compact scientific form: 1e-3, 1.
pub fn c_value(c: f64) -> String {
    if c >= 1.0 {
        format!("{c}")
    } else {
        format!("{c:e}")
    }
}

/// A p-value (or q-value) as it reads in a sentence: "p < 0.001", "q = 0.012", "p = 0.43".
pub fn p_value(name: &str, p: f64) -> String {
    if p < 0.001 {
        format!("{name} < 0.001")
    } else if p < 0.01 {
        format!("{name} = {p:.3}")
    } else {
        format!("{name} = {p:.2}")
    }
}

/// An accuracy gap (a difference of two shares) in percentage points with its interval:
/// "68 points (95% CI 55 to 79)".
pub fn gap_points(estimate: f64, low: f64, high: f64, level: f64) -> String {
    format!(
        "{:.0} points ({:.0}% CI {:.0} to {:.0})",
        estimate * 100.0,
        level * 100.0,
        low * 100.0,
        high * 100.0
    )
}

/// Standard base64 with padding (for OSC 52 clipboard writes).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_keeps_the_rest() {
        assert!(matches!(visible("a photo of a dog"), Cow::Borrowed(_)));
        assert_eq!(visible("né ☃ 猫"), "né ☃ 猫");
        assert_eq!(
            visible("\x1b]0;pwned\x07\x1b]52;c;aGk=\x07"),
            "\\x1b]0;pwned\\x07\\x1b]52;c;aGk=\\x07"
        );
        assert_eq!(visible("a\rb\nc\td\x7f"), "a\\x0db\\x0ac\\x09d\\x7f");
        assert_eq!(visible("\u{9b}31m"), "\\x9b31m");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(visible("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn json_stays_valid_and_equal() {
        let value = serde_json::json!({"name": "a\u{9b}b\u{202e}c\x7fd\x1b"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_for_terminal(text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
