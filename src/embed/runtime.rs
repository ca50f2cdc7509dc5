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

/// The version in a library file's name (`libonnxruntime.so.1.32.0` gives [1, 32, 0]; the plain
/// name gives None), or None when the file is not the library.
fn library_version(name: &str) -> Option<Option<Vec<u64>>> {
    if name.ends_with(".py") {
        return None;
    }
    LIBRARY_NAMES.iter().find_map(|base| {
        if name == *base {
            return Some(None);
        }
        let version = name.strip_prefix(base)?.strip_prefix('.')?;
        Some(Some(
            version
                .split('.')
                .map(|part| part.parse().unwrap_or(0))
                .collect(),
        ))
    })
}

/// A library file in `dir`: the plain name (a symlink to the real one) if there is one, else the
/// highest version. Two versions side by side are what `onnxruntime` and `onnxruntime-gpu`
/// installed together leave; the choice must not depend on the folder's listing order.
fn library_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = library_version(e.file_name().to_str()?)?;
            Some((version.is_none(), version, e.path()))
        })
        .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
        .map(|(_, _, path)| path)
}

/// What the Python is asked: the library of the `onnxruntime-gpu` distribution first (installed
/// beside `onnxruntime`, as `pip install "faultline[gpu]"` leaves it, both share one folder), then
/// the folder of the `onnxruntime` module, one per line.
const ASK_PYTHON: &str = r#"
import os, sys
base = sys.argv[1]
try:
    from importlib.metadata import distribution
    gpu = distribution("onnxruntime-gpu")
    for f in gpu.files or []:
        if f.name == base or f.name.startswith(base + "."):
            print(gpu.locate_file(f))
except Exception:
    pass
import onnxruntime
print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))
"#;

/// The first library that the Python's answer leads to: a file it names, or one in a folder.
fn library_from_answer(answer: &str) -> Option<PathBuf> {
    answer
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .find_map(|line| {
            let path = Path::new(line);
            if path.is_file() {
                Some(path.to_path_buf())
            } else {
                library_in(path)
            }
        })
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
    // The answer counts even when the import failed: a GPU library found before it is usable.
    let output = Command::new(python)
        .args(["-c", ASK_PYTHON, LIBRARY_NAMES[0]])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    library_from_answer(&String::from_utf8(output.stdout).ok()?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_plain_name_wins_then_the_highest_version_whatever_the_listing_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "libonnxruntime.so.1.9.0",
            "libonnxruntime.so.1.31.1",
            "libonnxruntime.so.1.32.0",
            "libonnxruntime_providers_cuda.so",
            "libonnxruntime.so.py",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let chosen = library_in(dir.path()).unwrap();
        assert_eq!(chosen.file_name().unwrap(), "libonnxruntime.so.1.32.0");
        std::fs::write(dir.path().join("libonnxruntime.so"), b"").unwrap();
        let chosen = library_in(dir.path()).unwrap();
        assert_eq!(chosen.file_name().unwrap(), "libonnxruntime.so");
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_gpu_library_the_python_names_comes_before_its_module_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (gpu, capi) = (dir.path().join("gpu"), dir.path().join("capi"));
        std::fs::create_dir_all(&gpu).unwrap();
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(gpu.join("libonnxruntime.so.1.31.1"), b"").unwrap();
        std::fs::write(capi.join("libonnxruntime.so.1.32.0"), b"").unwrap();
        let answer = format!(
            "{}\n{}\n",
            gpu.join("libonnxruntime.so.1.31.1").display(),
            capi.display()
        );
        assert_eq!(
            library_from_answer(&answer).unwrap(),
            gpu.join("libonnxruntime.so.1.31.1")
        );
        // A line naming nothing that exists is passed over.
        let answer = format!(
            "{}\n{}\n",
            dir.path().join("gone.so").display(),
            capi.display()
        );
        assert_eq!(
            library_from_answer(&answer).unwrap(),
            capi.join("libonnxruntime.so.1.32.0")
        );
        assert_eq!(library_from_answer(""), None);
    }

    /// The question, asked of a real Python: a site folder holding an `onnxruntime-gpu`
    /// distribution (its metadata and the library file its RECORD lists) is answered with that
    /// file first.
    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn python_names_the_gpu_distributions_library() {
        let site = tempfile::tempdir().unwrap();
        let info = site.path().join("onnxruntime_gpu-9.9.9.dist-info");
        let capi = site.path().join("onnxruntime/capi");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(
            info.join("METADATA"),
            "Metadata-Version: 2.1\nName: onnxruntime-gpu\nVersion: 9.9.9\n",
        )
        .unwrap();
        std::fs::write(
            info.join("RECORD"),
            "onnxruntime/capi/libonnxruntime_providers_cuda.so,,\n\
             onnxruntime/capi/libonnxruntime.so.9.9.9,,\n",
        )
        .unwrap();
        std::fs::write(capi.join("libonnxruntime.so.9.9.9"), b"").unwrap();
        let Ok(output) = Command::new("python3")
            .args(["-c", ASK_PYTHON, LIBRARY_NAMES[0]])
            .env("PYTHONPATH", site.path())
            .output()
        else {
            panic!("python3 is needed for this test")
        };
        let answer = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            library_from_answer(&answer),
            Some(capi.join("libonnxruntime.so.9.9.9")),
            "{answer}"
        );
    }
}
