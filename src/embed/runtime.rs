//! Finding and loading ONNX Runtime. faultline links it at run time (ort's `load-dynamic`), so
//! the binary never downloads anything and works with whatever build the user has: the PyPI
//! `onnxruntime` or `onnxruntime-gpu` wheel, a system install, or a library beside the binary.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const HOW_TO_GET_ONE: &str = "install one with `pip install onnxruntime` (or `onnxruntime-gpu` for \
CUDA) in the active Python, or point --ort-lib or ORT_DYLIB_PATH at libonnxruntime (version >= 1.31)";

#[cfg(target_os = "windows")]
const LIBRARY_NAMES: &[&str] = &["onnxruntime.dll"];
#[cfg(target_os = "macos")]
const LIBRARY_NAMES: &[&str] = &["libonnxruntime.dylib"];
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const LIBRARY_NAMES: &[&str] = &["libonnxruntime.so"];

/// Where the library came from, for messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Flag,
    Environment,
    BesideBinary,
    Python(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("--ort-lib"),
            Source::Environment => f.write_str("ORT_DYLIB_PATH"),
            Source::BesideBinary => f.write_str("beside the faultline binary"),
            Source::Python(python) => write!(f, "the onnxruntime package of {python}"),
        }
    }
}

/// A library file in `dir` (versioned names like `libonnxruntime.so.1.32.0` included).
fn library_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            LIBRARY_NAMES
                .iter()
                .any(|base| name == *base || name.starts_with(&format!("{base}.")))
                && !name.ends_with(".py")
        })
        .collect();
    // The plain name first (a symlink to the real one), then the longest versioned name.
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| !LIBRARY_NAMES.contains(&n))
    });
    found.into_iter().next()
}

/// Pythons to ask, most specific first: an active virtualenv or conda env, the Python beside the
/// binary (a `pip install faultline` puts both in the environment's bin/, which need not be
/// activated), then the PATH.
fn pythons() -> Vec<String> {
    let mut candidates = Vec::new();
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(prefix) = std::env::var_os(var) {
            let python = PathBuf::from(prefix).join("bin").join("python");
            candidates.push(python.to_string_lossy().into_owned());
        }
    }
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        let python = bin.join("python");
        if python.is_file() {
            candidates.push(python.to_string_lossy().into_owned());
        }
    }
    candidates.push("python3".into());
    candidates.push("python".into());
    candidates
}

fn from_python(python: &str) -> Option<PathBuf> {
    let output = Command::new(python)
        .args([
            "-c",
            "import os, onnxruntime; print(os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'))",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = String::from_utf8(output.stdout).ok()?;
    library_in(Path::new(dir.trim()))
}

/// The library to load and where it was found.
pub fn locate(flag: Option<&Path>) -> Result<(PathBuf, Source)> {
    if let Some(path) = flag {
        return existing(path, Source::Flag);
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return existing(Path::new(&path), Source::Environment);
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        if let Some(path) = library_in(&dir) {
            return Ok((path, Source::BesideBinary));
        }
    }
    for python in pythons() {
        if let Some(path) = from_python(&python) {
            return Ok((path, Source::Python(python)));
        }
    }
    Err(Error::usage(format!(
        "no ONNX Runtime library found (looked at --ort-lib, ORT_DYLIB_PATH, beside the binary \
         and the onnxruntime package of the active Python): {HOW_TO_GET_ONE}"
    )))
}

fn existing(path: &Path, source: Source) -> Result<(PathBuf, Source)> {
    if path.is_dir() {
        return library_in(path).map(|p| (p, source.clone())).ok_or_else(|| {
            Error::usage(format!(
                "{} (from {source}) is a folder without an ONNX Runtime library in it; {HOW_TO_GET_ONE}",
                path.display()
            ))
        });
    }
    if !path.exists() {
        return Err(Error::usage(format!(
            "{} (from {source}) does not exist; {HOW_TO_GET_ONE}",
            path.display()
        )));
    }
    Ok((path.to_path_buf(), source))
}

static LOADED: OnceLock<std::result::Result<(PathBuf, ort::environment::Environment), String>> =
    OnceLock::new();

/// Loads ONNX Runtime once per process and returns its environment (later calls return the
/// first outcome).
pub fn init(flag: Option<&Path>) -> Result<&'static ort::environment::Environment> {
    let outcome = LOADED.get_or_init(|| {
        let (path, source) = locate(flag).map_err(|e| e.to_string())?;
        let environment = ort::init_from(&path)
            .map_err(|e| {
                format!(
                    "cannot load ONNX Runtime from {} (found via {source}): {e}; {HOW_TO_GET_ONE}",
                    path.display()
                )
            })?
            .with_name("faultline")
            .build()
            .map_err(|e| format!("starting ONNX Runtime from {}: {e}", path.display()))?;
        Ok((path, environment))
    });
    match outcome {
        Ok((_, environment)) => Ok(environment),
        Err(message) => Err(Error::Usage(message.clone())),
    }
}
