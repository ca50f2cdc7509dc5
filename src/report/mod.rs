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

/// Formats an optional ratio as a fixed-width number or a dash.
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

/// C in compact scientific form: 1e-3, 1.
pub(crate) fn c_value(c: f64) -> String {
    if c >= 1.0 {
        format!("{c}")
    } else {
        format!("{c:e}")
    }
}
