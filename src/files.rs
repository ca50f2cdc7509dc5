//! The file system as faultline meets it. An input path may name a FIFO, a device, a socket, a
//! directory or a symlink to any of them: reading one would hang or read forever, so inputs are
//! read only from regular files ([`open_regular`] and its drop-in `read` helpers). An output is
//! written whole or not at all ([`write_atomically`]), keeps the mode and owner of the file it
//! replaces, and never replaces a device or FIFO it is pointed at.

use crate::error::{Error, Result};
use crate::signals;
use std::collections::HashSet;
use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// What a path is, in words, for a message.
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(meta: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}; faultline reads input only from regular files",
            kind_of(meta)
        ),
    )
}

/// A regular file, or the null device: `--config /dev/null` is the usual way to say "empty",
/// and reading it ends at once.
fn readable(meta: &Metadata) -> bool {
    meta.is_file() || (meta.file_type().is_char_device() && meta.rdev() == libc::makedev(1, 3))
}

/// Ok when `path` is a regular file (symlinks followed) or `/dev/null`, without opening it: for
/// paths handed to libraries that open them themselves.
pub fn check_regular(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if readable(&meta) {
        Ok(())
    } else {
        Err(not_regular(&meta))
    }
}

/// Opens a regular file for reading; anything else is refused without blocking. The check is
/// made before opening (so a device is never opened) and again on the open file (O_NONBLOCK
/// makes opening a FIFO swapped in meanwhile return at once; it changes nothing for reading a
/// regular file).
pub fn open_regular(path: &Path) -> io::Result<File> {
    check_regular(path)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !readable(&meta) {
        return Err(not_regular(&meta));
    }
    Ok(file)
}

/// `std::fs::read` for regular files only.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `std::fs::read_to_string` for regular files only.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The folder `path` will be written in; an error naming `path` when it does not exist.
pub fn output_folder(path: &Path) -> Result<&Path> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::NotFound, "the output folder does not exist"),
        ));
    }
    Ok(parent)
}

const TEMP_SUFFIX: &str = ".partial";

/// A builder of faultline's temporary files and folders, `.faultline-PID-RANDOM.partial`, created
/// with `mode` narrowed by the umask as for any new file. The process id lets a later run tell a
/// stale one (its writer is gone) from one being written.
fn temporary(mode: u32) -> tempfile::Builder<'static, 'static> {
    static PREFIX: OnceLock<String> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| format!(".faultline-{}-", std::process::id()));
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(prefix.as_str())
        .suffix(TEMP_SUFFIX)
        .permissions(Permissions::from_mode(mode));
    builder
}

/// Writes `path` whole or not at all. A regular file (or a new one) is written through a
/// temporary sibling renamed into place: a reader sees the old file or the new one, a signal
/// leaves neither the temporary file nor half a file. A symlink is followed, so the file it
/// points to is replaced and the link stays. A device, FIFO or socket (`--out /dev/stdout`)
/// is written in place, as a shell redirection would, never replaced by a regular file.
/// A replaced file keeps its mode and owner; a new one gets the umask's mode.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "is a directory"),
            ))
        }
        Ok(meta) if meta.file_type().is_socket() => {
            return Err(Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a socket, which a file cannot be written to",
                ),
            ))
        }
        Ok(meta) if !meta.is_file() => return write_in_place(path, write),
        _ => {}
    }
    let target = follow_link(path);
    let parent = output_folder(&target)?;
    remove_stale_temporaries(parent);
    let existing = std::fs::metadata(&target).ok();
    let (mut temp, _registered) = signals::create_removed_on_signal(|| {
        let temp = temporary(0o666).tempfile_in(parent)?;
        let path = temp.path().to_path_buf();
        Ok((temp, path))
    })
    .map_err(|e| Error::io(path, e))?;
    {
        let mut writer = BufWriter::new(temp.as_file_mut());
        write(&mut writer).map_err(|e| Error::io(path, e))?;
        writer.flush().map_err(|e| Error::io(path, e))?;
    }
    if let Some(meta) = existing {
        let file = temp.as_file();
        file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(|e| Error::io(path, e))?;
        // Only root may give a file away; elsewhere the owner is the writer's anyway.
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(&target)
        .map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Makes the folder `dir` whole or not at all: `fill` writes into a temporary folder beside it,
/// which is renamed to `dir` when `fill` succeeds and removed when it fails or a signal comes.
/// `dir` must not exist, or be an empty folder.
pub fn write_folder(dir: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let parent = output_folder(dir)?;
    remove_stale_temporaries(parent);
    let (temp, _registered) = signals::create_removed_on_signal(|| {
        let temp = temporary(0o777).tempdir_in(parent)?;
        let path = temp.path().to_path_buf();
        Ok((temp, path))
    })
    .map_err(|e| Error::io(dir, e))?;
    fill(temp.path())?;
    // rename(2) replaces an empty folder and refuses a non-empty one.
    std::fs::rename(temp.path(), dir).map_err(|e| Error::io(dir, e))?;
    let _ = temp.keep();
    Ok(())
}

fn write_in_place(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
) -> Result<()> {
    // No truncation: a device has none, and a FIFO is opened as `>` opens it.
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut writer = BufWriter::new(&mut file);
    write(&mut writer).map_err(|e| Error::io(path, e))?;
    writer.flush().map_err(|e| Error::io(path, e))
}

/// The path a symlink finally names (the link itself when it is none); a dangling link's
/// target, resolved against the link's folder.
fn follow_link(path: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return path.to_path_buf();
    }
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match std::fs::read_link(path) {
        Ok(target) => path.parent().unwrap_or(Path::new(".")).join(target),
        Err(_) => path.to_path_buf(),
    }
}

/// Removes `.faultline-PID-*.partial` files and folders in `folder` that this user owns and whose process
/// is gone (killed before it could clean up). Each folder is looked at once per process.
fn remove_stale_temporaries(folder: &Path) {
    static SEEN: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    {
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if !seen
            .get_or_insert_with(HashSet::new)
            .insert(folder.to_path_buf())
        {
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(stale_candidate_pid) else {
            continue;
        };
        if pid == std::process::id() as i32 || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.uid() == me && m.is_file() => {
                let _ = std::fs::remove_file(&path);
            }
            Ok(m) if m.uid() == me && m.is_dir() => {
                let _ = std::fs::remove_dir_all(&path);
            }
            _ => {}
        }
    }
}

/// The writer's process id when `name` is one of faultline's temporary files.
fn stale_candidate_pid(name: &str) -> Option<i32> {
    let rest = name
        .strip_prefix(".faultline-")?
        .strip_suffix(TEMP_SUFFIX)?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok().filter(|&p: &i32| p > 0)
}

fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Makes a FIFO at `path`, for tests of what faultline does with one.
#[cfg(test)]
pub(crate) fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "{path:?}");
}

/// `target` as a path from `folder` ("../images/a.png"), so a file in `folder` that names it
/// keeps working wherever the two are moved together. Both are made absolute first (lexically,
/// against the current directory); when they share nothing but the root, `target` stays
/// absolute.
pub fn path_from(folder: &Path, target: &Path) -> PathBuf {
    use std::path::Component;
    let (Ok(folder), Ok(target)) = (std::path::absolute(folder), std::path::absolute(target))
    else {
        return target.to_path_buf();
    };
    fn normal(p: &Path) -> Vec<std::path::Component<'_>> {
        use std::path::Component;
        let mut out: Vec<Component> = Vec::new();
        for c in p.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        out
    }
    let (from, to) = (normal(&folder), normal(&target));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let shares_more_than_root = from[..common]
        .iter()
        .any(|c| matches!(c, Component::Normal(_)));
    if !shares_more_than_root {
        return to.iter().collect();
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Largest picture decoded; bigger files (or decompression bombs) are refused with a message.
pub const MAX_IMAGE_SIDE: u32 = 12_000;
pub const MAX_IMAGE_ALLOC: u64 = 512 * 1024 * 1024;

/// The size limits above, for the `image` crate's decoders.
pub fn image_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    limits
}

/// Decodes the picture at `path` (a regular file only), under the size limits above.
pub fn decode_image(path: &Path) -> std::result::Result<image::DynamicImage, String> {
    let opened = open_regular(path).and_then(|file| {
        image::ImageReader::new(std::io::BufReader::new(file)).with_guessed_format()
    });
    let mut reader = opened.map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    reader.limits(image_limits());
    reader
        .decode()
        .map_err(|e| format!("cannot decode {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {

    #[test]
    fn paths_from_a_folder_climb_with_dot_dot_and_stay_absolute_across_roots() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            path_from(&p("/data/out"), &p("/data/images/a.png")),
            p("../images/a.png")
        );
        assert_eq!(
            path_from(&p("/data"), &p("/data/images/a.png")),
            p("images/a.png")
        );
        assert_eq!(
            path_from(&p("/data/x/y"), &p("/data/x/y/z.png")),
            p("z.png")
        );
        assert_eq!(
            path_from(&p("/data/./out/.."), &p("/data/a.png")),
            p("a.png")
        );
        assert_eq!(path_from(&p("/home/u"), &p("/srv/a.png")), p("/srv/a.png"));
    }

    use super::*;

    #[test]
    fn refuses_fifos_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("data.parquet");
        mkfifo(&fifo);
        let e = read(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_to_string(dir.path()).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        let e = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert_eq!(
            read(Path::new("/dev/null")).unwrap(),
            b"",
            "the null device reads as empty"
        );
    }

    #[test]
    fn names_a_temporary_files_writer() {
        assert_eq!(
            stale_candidate_pid(".faultline-123-aB9x.partial"),
            Some(123)
        );
        assert_eq!(stale_candidate_pid(".faultline-aB9x.partial"), None);
        assert_eq!(stale_candidate_pid("faultline-1-x.partial"), None);
        assert_eq!(stale_candidate_pid(".faultline-0-x.partial"), None);
    }
}
