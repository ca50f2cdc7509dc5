//! Triage marks and notes per class, kept in the user state directory (keyed by dataset, never
//! beside the input) and exported in the Markdown summary.

use crate::data::Dataset;
use crate::error::Result;
use crate::files::write_atomically;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use xxhash_rust::xxh3::xxh3_64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Confirmed,
    NotAProblem,
    NeedsData,
}

impl Mark {
    pub fn label(self) -> &'static str {
        match self {
            Mark::Confirmed => "confirmed",
            Mark::NotAProblem => "not a problem",
            Mark::NeedsData => "needs data",
        }
    }

    /// A symbol for the class list, so the mark reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Confirmed => "!",
            Mark::NotAProblem => "=",
            Mark::NeedsData => "+",
        }
    }

    /// none -> confirmed -> not a problem -> needs data -> none
    pub fn next(mark: Option<Mark>) -> Option<Mark> {
        match mark {
            None => Some(Mark::Confirmed),
            Some(Mark::Confirmed) => Some(Mark::NotAProblem),
            Some(Mark::NotAProblem) => Some(Mark::NeedsData),
            Some(Mark::NeedsData) => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub mark: Option<Mark>,
    pub note: String,
}

/// Entries by class name (names survive re-ordering of class indices).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub entries: BTreeMap<String, Entry>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

/// `FAULTLINE_STATE_DIR`, else the platform state (or local data) directory.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FAULTLINE_STATE_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("faultline"))
}

/// The dataset's key: its canonical path, size and class names.
pub fn dataset_key(dataset: &Dataset) -> String {
    let path = dataset
        .source
        .canonicalize()
        .unwrap_or_else(|_| dataset.source.clone());
    let text = format!(
        "{}\n{}\n{}\n{}",
        path.display(),
        dataset.len(),
        dataset.dim(),
        dataset.class_names.join("\n")
    );
    format!("{:016x}", xxh3_64(text.as_bytes()))
}

impl Triage {
    /// The saved triage for `dataset`, or an empty one (also when the state cannot be read).
    pub fn load(dataset: &Dataset) -> Triage {
        let path = state_dir().map(|d| {
            d.join("triage")
                .join(format!("{}.json", dataset_key(dataset)))
        });
        let mut triage = path
            .as_ref()
            .and_then(|p| crate::files::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<Triage>(&bytes).ok())
            .unwrap_or_default();
        triage.path = path;
        triage
    }

    /// A triage that is never saved (tests, read-only state).
    pub fn in_memory() -> Triage {
        Triage::default()
    }

    pub fn get(&self, class: &str) -> Option<&Entry> {
        self.entries.get(class)
    }

    pub fn set(&mut self, class: &str, entry: Entry) -> Result<()> {
        if entry.mark.is_none() && entry.note.is_empty() {
            self.entries.remove(class);
        } else {
            self.entries.insert(class.to_string(), entry);
        }
        self.save()
    }

    fn save(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| crate::Error::io(parent, e))?;
        }
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| crate::Error::Internal(e.to_string()))?;
        write_atomically(path, |f| f.write_all(&json))
    }
}
