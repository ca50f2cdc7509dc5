//! Turning findings into text and files: the JSON schema, tables, Markdown, and exports. Every
//! file is written through `files::write_atomically`: a reader sees the old file or the new one,
//! never half of one.

pub mod export;
pub mod json;
pub mod markdown;
pub mod table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

/// A decision value or caption score as people read it: in units of the class's decision
/// spread ("-2.14σ"), the same at any C; the raw value (at small C about 1e-5) only when the
/// class has no spread. The table, the Markdown and the explorer all use this.
pub fn score_text(sigma: Option<f64>, raw: f64) -> String {
    match sigma {
        Some(z) => format!("{z:+.2}σ"),
        None if raw == 0.0 => "0".into(),
        None if raw.abs() >= 0.01 => format!("{raw:+.3}"),
        None => format!("{raw:+.1e}"),
    }
}

/// Formats an optional ratio as a fixed-width number or a dash.
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

/// C in compact scientific form (shared with the analysis core's caveats).
pub use crate::text::c_value;
