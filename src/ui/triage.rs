//! Triage marks and notes per class, kept in the user state directory (keyed by dataset, never
//! beside the input) and exported in the Markdown summary.
//!
//! Two explorers may be open on one dataset (two tmux panes, two users). Every save takes an
//! exclusive lock beside the file, re-reads it, merges per class (the entry changed last wins,
//! by its timestamp), writes the merge atomically, and takes in what the other explorer saved.
//! A cleared entry stays in the file, empty, so that clearing also wins over an older mark.

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
    /// When it was last changed (milliseconds since the Unix epoch; 0 in older files).
    #[serde(default)]
    pub changed_ms: u64,
}

impl Entry {
    pub fn is_empty(&self) -> bool {
        self.mark.is_none() && self.note.is_empty()
    }
}

/// Entries by class name (names survive re-ordering of class indices).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub entries: BTreeMap<String, Entry>,
    #[serde(skip)]
    path: Option<PathBuf>,
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
        let path = crate::storage::triage_file(&dataset_key(dataset));
        Triage::at(path)
    }

    /// The triage saved at `path` (None: never saved).
    pub fn at(path: Option<PathBuf>) -> Triage {
        let mut triage = path.as_deref().map(read_entries).unwrap_or_default();
        triage.path = path;
        triage
    }

    /// A triage that is never saved (tests, read-only state).
    pub fn in_memory() -> Triage {
        Triage::default()
    }

    /// The class's mark and note; None when it has neither.
    pub fn get(&self, class: &str) -> Option<&Entry> {
        self.entries.get(class).filter(|e| !e.is_empty())
    }

    /// The marks and notes as the HTML report shows them.
    pub fn html_marks(&self) -> crate::report::html::Marks {
        self.marked()
            .map(|(class, entry)| {
                (
                    class.clone(),
                    (
                        entry.mark.map(|m| m.label().to_string()),
                        entry.note.clone(),
                    ),
                )
            })
            .collect()
    }

    /// Classes with a mark or a note, by name.
    pub fn marked(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter().filter(|(_, e)| !e.is_empty())
    }

    /// Sets the class's entry and saves (the tests' shorthand for what the explorer does in two
    /// steps, recording at once and saving on its own schedule).
    #[cfg(test)]
    pub fn set(&mut self, class: &str, entry: Entry) -> Result<()> {
        self.record(class, entry);
        self.save()
    }

    /// Sets the class's entry in memory, stamped as the newest change; `save` writes it.
    pub fn record(&mut self, class: &str, mut entry: Entry) {
        let newest = self
            .entries
            .values()
            .map(|e| e.changed_ms)
            .max()
            .unwrap_or(0);
        entry.changed_ms = now_ms().max(newest + 1);
        self.entries.insert(class.to_string(), entry);
    }

    /// Takes in a copy saved elsewhere (a worker's merge with the file): its newer entries.
    pub fn absorb(&mut self, saved: Triage) {
        self.merge(saved);
    }

    /// Writes the entries, merged under the lock with what other explorers saved meanwhile;
    /// afterwards this copy holds the merge.
    pub fn save(&mut self) -> Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| crate::Error::io(parent, e))?;
        }
        let _lock = Lock::take(&path.with_extension("json.lock"))?;
        let on_disk = read_entries(&path);
        self.merge(on_disk);
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| crate::Error::Internal(e.to_string()))?;
        write_atomically(&path, |f| f.write_all(&json))
    }

    /// Takes each of `other`'s entries changed after ours.
    fn merge(&mut self, other: Triage) {
        for (class, theirs) in other.entries {
            match self.entries.get(&class) {
                Some(ours) if ours.changed_ms >= theirs.changed_ms => {}
                _ => {
                    self.entries.insert(class, theirs);
                }
            }
        }
    }
}

fn read_entries(path: &std::path::Path) -> Triage {
    crate::files::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Triage>(&bytes).ok())
        .unwrap_or_default()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An exclusive `flock` on a lock file, released when dropped (or when the process dies).
struct Lock(std::fs::File);

impl Lock {
    fn take(path: &std::path::Path) -> Result<Lock> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| crate::Error::io(path, e))?;
        loop {
            // SAFETY: flock on a file descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(Lock(file));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(crate::Error::io(path, e));
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocking the descriptor this lock owns.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mark: Option<Mark>, note: &str) -> Entry {
        Entry {
            mark,
            note: note.into(),
            changed_ms: 0,
        }
    }

    #[test]
    fn two_explorers_keep_each_others_marks_and_the_newest_change_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = Some(dir.path().join("t.json"));
        // Both open before either saves, as two panes would.
        let mut first = Triage::at(path.clone());
        let mut second = Triage::at(path.clone());
        first
            .set("dog", entry(Some(Mark::Confirmed), "night shots"))
            .unwrap();
        second.set("cat", entry(Some(Mark::NeedsData), "")).unwrap();
        let saved = Triage::at(path.clone());
        assert_eq!(
            saved.get("dog").unwrap().note,
            "night shots",
            "the first explorer's note survived"
        );
        assert_eq!(saved.get("cat").unwrap().mark, Some(Mark::NeedsData));
        assert_eq!(
            second.get("dog").unwrap().mark,
            Some(Mark::Confirmed),
            "the second took it in"
        );
        // The same class changed in both: the later change wins, clearing included.
        std::thread::sleep(std::time::Duration::from_millis(2));
        second.set("dog", entry(None, "")).unwrap();
        first
            .set("cat", entry(Some(Mark::NotAProblem), "fine"))
            .unwrap();
        let saved = Triage::at(path);
        assert!(
            saved.get("dog").is_none(),
            "the newer clearing won over the older mark"
        );
        assert_eq!(saved.get("cat").unwrap().note, "fine");
        assert_eq!(saved.marked().count(), 1);
    }

    /// Two processes (this test binary run again) saving different classes at the same time:
    /// with the lock and the merge none is lost.
    #[test]
    fn two_processes_saving_at_once_lose_nothing() {
        const CLASSES: usize = 100;
        if let Some(dir) = std::env::var_os("FAULTLINE_TRIAGE_WRITER") {
            let who = std::env::var("FAULTLINE_TRIAGE_WHO").unwrap();
            // Both start together.
            while !PathBuf::from(&dir).join("go").exists() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let mut triage = Triage::at(Some(PathBuf::from(dir).join("t.json")));
            for i in 0..CLASSES {
                triage
                    .set(&format!("{who}-{i}"), entry(Some(Mark::Confirmed), &who))
                    .unwrap();
            }
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let writers: Vec<_> = ["a", "b"]
            .iter()
            .map(|who| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "ui::triage::tests::two_processes_saving_at_once_lose_nothing",
                        "--nocapture",
                    ])
                    .env("FAULTLINE_TRIAGE_WRITER", dir.path())
                    .env("FAULTLINE_TRIAGE_WHO", who)
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::fs::write(dir.path().join("go"), "").unwrap();
        for mut writer in writers {
            assert!(writer.wait().unwrap().success());
        }
        let saved = Triage::at(Some(dir.path().join("t.json")));
        assert_eq!(
            saved.marked().count(),
            2 * CLASSES,
            "{:?}",
            saved.entries.keys()
        );
    }
}
