//! NumPy `.npy` files: embeddings (rows x dim, float16, float32 or float64) and their ids.
//!
//! A `.npy` is a magic string, a version, a header (a Python dict literal: `descr`,
//! `fortran_order`, `shape`) and the array's bytes. Little-endian float32 in C order, the common
//! case, is memory-mapped and used where it lies, never copied (the OS pages it in on use); other
//! float types, big-endian and Fortran-order files are converted as they are read. Every value is
//! checked to be finite, and a file shorter or longer than its header says is an error.

use super::{Embeddings, Ids};
use crate::error::{Error, Result};
use arrow::buffer::{Buffer, ScalarBuffer};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"\x93NUMPY";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Unsigned,
    /// NumPy's fixed-width unicode (`<U12`): UCS-4 code points.
    Unicode,
}

/// What a header says.
#[derive(Debug)]
struct Header {
    kind: Kind,
    /// Bytes per element (code points x 4 for unicode).
    size: usize,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
    /// Where the data begins.
    offset: usize,
    descr: String,
}

/// Where an array comes from, for messages: a `.npy` file, or an array of an `.npz`.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    array: Option<&'a str>,
}

impl Source<'_> {
    fn error(&self, message: impl Into<String>) -> Error {
        match self.array {
            None => Error::input(self.path, message),
            Some(a) => Error::input(
                self.path,
                format!("array '{}': {}", crate::text::visible(a), message.into()),
            ),
        }
    }
}

fn parse_header(source: Source, bytes: &[u8]) -> Result<Header> {
    let bad = |what: String| source.error(what);
    if !bytes.starts_with(MAGIC) {
        return Err(bad(
            "not a NumPy .npy file (it does not start with \\x93NUMPY)".into(),
        ));
    }
    let major = *bytes
        .get(6)
        .ok_or_else(|| bad("the .npy header is cut short".into()))?;
    let (len, start): (Option<usize>, usize) = match major {
        1 => (
            bytes
                .get(8..10)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize),
            10,
        ),
        2 | 3 => (
            bytes
                .get(8..12)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
            12,
        ),
        v => return Err(bad(format!("unknown .npy format version {v}"))),
    };
    let len = len.ok_or_else(|| bad("the .npy header is cut short".into()))?;
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("the .npy header is cut short".into()))?;
    let text = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| bad("the .npy header is not text".into()))?;
    let descr = dict_value(text, "descr")
        .and_then(quoted)
        .ok_or_else(|| bad(format!("the .npy header has no dtype: {}", shown(text))))?;
    let fortran_order = match dict_value(text, "fortran_order").map(str::trim) {
        Some(v) if v.starts_with("True") => true,
        Some(v) if v.starts_with("False") => false,
        _ => {
            return Err(bad(format!(
                "the .npy header has no fortran_order: {}",
                shown(text)
            )))
        }
    };
    let shape = dict_value(text, "shape")
        .and_then(parse_shape)
        .ok_or_else(|| bad(format!("the .npy header has no shape: {}", shown(text))))?;
    let (big_endian, code) = match descr.as_bytes().first() {
        Some(b'<' | b'|' | b'=') => (false, &descr[1..]),
        Some(b'>') => (true, &descr[1..]),
        _ => (false, descr),
    };
    let (kind, count) = match code.split_at(code.len().min(1)) {
        ("f", n) => (Kind::Float, n),
        ("i", n) => (Kind::Int, n),
        ("u", n) => (Kind::Unsigned, n),
        ("U", n) => (Kind::Unicode, n),
        _ => {
            return Err(bad(format!(
                "dtype '{}' is not a number or text array this reader knows",
                crate::text::visible(descr)
            )))
        }
    };
    let count: usize = count.parse().map_err(|_| {
        bad(format!(
            "dtype '{}' is not understood",
            crate::text::visible(descr)
        ))
    })?;
    let size = if kind == Kind::Unicode {
        count
            .checked_mul(4)
            .ok_or_else(|| bad("dtype too wide".into()))?
    } else {
        count
    };
    Ok(Header {
        kind,
        size,
        big_endian,
        fortran_order,
        shape,
        offset: end,
        descr: descr.to_string(),
    })
}

fn shown(text: &str) -> String {
    crate::text::visible(text.trim()).into_owned()
}

/// The text after `'key':` in the header's dict literal.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text
        .find(&format!("'{key}'"))
        .or_else(|| text.find(&format!("\"{key}\"")))?;
    let rest = &text[at + key.len() + 2..];
    let colon = rest.find(':')?;
    Some(rest[colon + 1..].trim_start())
}

/// A quoted string's contents ('<f4').
fn quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = text[1..].find(quote)?;
    Some(&text[1..1 + end])
}

/// "(1000, 512)" or "(1000,)" or "()".
fn parse_shape(text: &str) -> Option<Vec<usize>> {
    let text = text.strip_prefix('(')?;
    let end = text.find(')')?;
    text[..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

/// The file, memory-mapped, as one buffer the arrays can be sliced from.
fn map(path: &Path) -> Result<Buffer> {
    let file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Err(Error::input(path, "the file is empty"));
    }
    // SAFETY: read-only; the input contract says inputs are not modified while faultline reads
    // them (as for memory-mapped Arrow files).
    let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    let ptr = std::ptr::NonNull::new(mmap.as_ptr() as *mut u8)
        .ok_or_else(|| Error::input(path, "the file is empty"))?;
    let len = mmap.len();
    // SAFETY: ptr and len describe the mapping, which the Arc keeps alive as long as any buffer
    // sliced from it.
    Ok(unsafe { Buffer::from_custom_allocation(ptr, len, std::sync::Arc::new(mmap)) })
}

/// The data bytes, checked against the header's promise.
fn data<'a>(
    source: Source,
    buffer: &'a Buffer,
    header: &Header,
    elements: usize,
) -> Result<&'a [u8]> {
    let needed = elements
        .checked_mul(header.size)
        .ok_or_else(|| source.error("the array's shape overflows"))?;
    let have = buffer.len() - header.offset;
    if have < needed {
        return Err(source.error(
            format!(
                "the file is truncated: its header promises {needed} bytes of data ({} of '{}'), it holds {have}",
                shape_text(&header.shape),
                crate::text::visible(&header.descr)
            ),
        ));
    }
    if have > needed {
        return Err(source.error(format!(
            "the file holds {} bytes beyond its array ({} of '{}'): not a .npy as NumPy writes it",
            have - needed,
            shape_text(&header.shape),
            crate::text::visible(&header.descr)
        )));
    }
    Ok(&buffer.as_slice()[header.offset..])
}

fn shape_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    format!("({})", parts.join(" x "))
}

/// Embeddings read from a NumPy file, and their ids when the file carries them.
pub struct NumpyEmbeddings {
    pub embeddings: Embeddings,
    /// The ids of the embeddings' rows, and where they came from (for messages).
    pub ids: Option<(String, Ids)>,
}

/// Reads embeddings from a `.npy` (its ids from `EMB.ids.npy` beside it, if there) or an `.npz`
/// (the array `embeddings`, or its only array; its ids from the array `ids`, if there).
pub fn read_embeddings(path: &Path) -> Result<NumpyEmbeddings> {
    let buffer = map(path)?;
    let is_npz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"))
        || buffer.as_slice().starts_with(b"PK\x03\x04");
    if !is_npz {
        let embeddings = embeddings_from(Source { path, array: None }, &buffer)?;
        let ids = match sidecar_ids(path) {
            Some(ids_path) => Some((ids_path.display().to_string(), load_ids(&ids_path)?)),
            None => None,
        };
        return Ok(NumpyEmbeddings { embeddings, ids });
    }
    let members = super::npz::members(path, &buffer)?;
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let chosen = members
        .iter()
        .find(|m| m.name == "embeddings")
        .or(match members.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "holds the arrays {}; name the embeddings' array 'embeddings' (np.savez(f, embeddings=emb, ids=ids))",
                    crate::text::visible(&names.join(", "))
                ),
            )
        })?;
    let embeddings = embeddings_from(
        Source {
            path,
            array: Some(&chosen.name),
        },
        &chosen.bytes,
    )?;
    let ids = match members.iter().find(|m| m.name == "ids") {
        Some(m) => Some((
            format!("{} (array 'ids')", path.display()),
            ids_from(
                Source {
                    path,
                    array: Some("ids"),
                },
                &m.bytes,
            )?,
        )),
        None => None,
    };
    Ok(NumpyEmbeddings { embeddings, ids })
}

/// Reads embeddings from a `.npy`: a 2-D float array, rows x dim.
pub fn load_embeddings(path: &Path) -> Result<Embeddings> {
    embeddings_from(Source { path, array: None }, &map(path)?)
}

fn embeddings_from(source: Source, buffer: &Buffer) -> Result<Embeddings> {
    let header = parse_header(source, buffer.as_slice())?;
    let (rows, dim) = match header.shape.as_slice() {
        [rows, dim] => (*rows, *dim),
        shape => {
            return Err(source.error(format!(
                "the array has shape {}; embeddings are rows x dim (a 2-D array)",
                shape_text(shape)
            )))
        }
    };
    if header.kind != Kind::Float || !matches!(header.size, 2 | 4 | 8) {
        return Err(source.error(format!(
            "embeddings must be float16, float32 or float64; this array's dtype is '{}'",
            crate::text::visible(&header.descr)
        )));
    }
    if rows == 0 || dim == 0 {
        return Err(source.error(format!(
            "the array is empty ({})",
            shape_text(&header.shape)
        )));
    }
    let elements = rows
        .checked_mul(dim)
        .ok_or_else(|| source.error("the array's shape overflows"))?;
    let bytes = data(source, buffer, &header, elements)?;
    // Used where it lies when its bytes are float32 as this machine reads them, aligned.
    let direct = header.size == 4
        && !header.big_endian
        && !header.fortran_order
        && (buffer.as_ptr() as usize + header.offset) % 4 == 0
        && cfg!(target_endian = "little");
    let values: ScalarBuffer<f32> = if direct {
        ScalarBuffer::new(buffer.clone(), header.offset / 4, elements)
    } else {
        convert(&header, bytes, rows, dim).into()
    };
    if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
        return Err(source.error(format!(
            "row {} (counting from 0), dimension {}: the embedding contains {}",
            bad / dim,
            bad % dim,
            values[bad]
        )));
    }
    Ok(Embeddings::new(dim, values))
}

/// Float values in C order as f32 (converted from float16, float64, big-endian, Fortran order).
fn convert(header: &Header, bytes: &[u8], rows: usize, dim: usize) -> Vec<f32> {
    let size = header.size;
    let read = |i: usize| -> f32 {
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
        if header.big_endian {
            b[..size].reverse();
        }
        match size {
            2 => half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
            4 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            _ => f64::from_le_bytes(b) as f32,
        }
    };
    let mut out = Vec::with_capacity(rows * dim);
    for r in 0..rows {
        for c in 0..dim {
            // Fortran order stores column after column.
            let i = if header.fortran_order {
                c * rows + r
            } else {
                r * dim + c
            };
            out.push(read(i));
        }
    }
    out
}

/// Reads ids: a 1-D array of integers or strings.
pub fn load_ids(path: &Path) -> Result<Ids> {
    ids_from(Source { path, array: None }, &map(path)?)
}

fn ids_from(source: Source, buffer: &Buffer) -> Result<Ids> {
    let header = parse_header(source, buffer.as_slice())?;
    let rows = match header.shape.as_slice() {
        [rows] => *rows,
        shape => {
            return Err(source.error(format!(
                "ids must be a 1-D array; this one has shape {}",
                shape_text(shape)
            )))
        }
    };
    let bytes = data(source, buffer, &header, rows)?;
    let size = header.size;
    let word = |i: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
        if header.big_endian {
            b[..size].reverse();
        }
        b
    };
    match (header.kind, size) {
        (Kind::Int, 1 | 2 | 4 | 8) => Ok(Ids::Int(
            (0..rows)
                .map(|i| {
                    let b = word(i);
                    // Sign-extend from the element's width.
                    let shift = 64 - 8 * size as u32;
                    (i64::from_le_bytes(b) << shift) >> shift
                })
                .collect(),
        )),
        (Kind::Unsigned, 1 | 2 | 4 | 8) => {
            let values: Vec<u64> = (0..rows).map(|i| u64::from_le_bytes(word(i))).collect();
            Ok(match values.iter().all(|&v| v <= i64::MAX as u64) {
                true => Ids::Int(values.into_iter().map(|v| v as i64).collect()),
                false => Ids::UInt(values),
            })
        }
        (Kind::Unicode, _) => {
            let mut ids = Vec::with_capacity(rows);
            for i in 0..rows {
                let cell = &bytes[i * size..(i + 1) * size];
                let mut text = String::new();
                for unit in cell.chunks_exact(4) {
                    let mut u = [unit[0], unit[1], unit[2], unit[3]];
                    if header.big_endian {
                        u.reverse();
                    }
                    let code = u32::from_le_bytes(u);
                    if code == 0 {
                        break;
                    }
                    text.push(char::from_u32(code).ok_or_else(|| {
                        source.error(format!("row {i}: the id is not valid unicode"))
                    })?);
                }
                ids.push(text);
            }
            Ok(Ids::Text(ids))
        }
        _ => Err(source.error(format!(
            "ids must be integers or strings; this array's dtype is '{}'",
            crate::text::visible(&header.descr)
        ))),
    }
}

/// The ids file beside an embeddings file, if there is one: `emb.npy` → `emb.ids.npy`.
pub fn sidecar_ids(embeddings: &Path) -> Option<PathBuf> {
    let stem = embeddings.file_stem()?.to_str()?;
    let ids = embeddings.with_file_name(format!("{stem}.ids.npy"));
    ids.is_file().then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .npy as NumPy writes it (format 1.0, header padded to a multiple of 64).
    pub(crate) fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn reads_every_float_layout_to_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let values = [1.0f32, -2.5, 3.25, 0.5, 8.0, -0.125];
        let f4: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let f8: Vec<u8> = values
            .iter()
            .flat_map(|v| (*v as f64).to_le_bytes())
            .collect();
        let f2: Vec<u8> = values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect();
        let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        // Fortran order: column after column of the 2 x 3 array.
        let fortran: Vec<u8> = [0, 3, 1, 4, 2, 5]
            .iter()
            .flat_map(|&i| values[i].to_le_bytes())
            .collect();
        for (name, bytes) in [
            ("f4", npy("<f4", false, "(2, 3)", &f4)),
            ("f8", npy("<f8", false, "(2, 3)", &f8)),
            ("f2", npy("<f2", false, "(2, 3)", &f2)),
            ("be", npy(">f4", false, "(2, 3)", &be)),
            ("fortran", npy("<f4", true, "(2, 3)", &fortran)),
        ] {
            let e = load_embeddings(&write(&dir, &format!("{name}.npy"), &bytes)).unwrap();
            assert_eq!((e.len(), e.dim()), (2, 3), "{name}");
            assert_eq!(e.to_vec(), values, "{name}");
        }
    }

    /// The address range of this process's mapping of `path`, from /proc/self/maps.
    fn mapping_of(path: &Path) -> Option<(usize, usize)> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        let path = path.canonicalize().ok()?;
        maps.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 6 || Path::new(fields[5]) != path {
                return None;
            }
            let (start, end) = fields[0].split_once('-')?;
            Some((
                usize::from_str_radix(start, 16).ok()?,
                usize::from_str_radix(end, 16).ok()?,
            ))
        })
    }

    #[test]
    fn float32_is_used_where_it_lies() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let path = write(&dir, "e.npy", &npy("<f4", false, "(3, 2)", &values));
        let e = load_embeddings(&path).unwrap();
        assert_eq!(e.row(2), [4.0, 5.0]);
        // The values' bytes lie inside the file's mapping: no copy was made.
        let at = e.byte_chunks().next().unwrap().as_ptr() as usize;
        let (start, end) = mapping_of(&path).expect("the file is mapped");
        assert!(
            (start..end).contains(&at),
            "{at:x} not in {start:x}-{end:x}"
        );
        // A float64 file is converted: its values live elsewhere.
        let f8: Vec<u8> = (0..6).flat_map(|v| (v as f64).to_le_bytes()).collect();
        let path = write(&dir, "e8.npy", &npy("<f8", false, "(3, 2)", &f8));
        let e = load_embeddings(&path).unwrap();
        let at = e.byte_chunks().next().unwrap().as_ptr() as usize;
        assert!(mapping_of(&path).is_none_or(|(s, end)| !(s..end).contains(&at)));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let f4 = |n: usize| -> Vec<u8> { (0..n).flat_map(|v| (v as f32).to_le_bytes()).collect() };
        let cases: [(&str, Vec<u8>, &str); 8] = [
            ("magic", b"PAR1 not numpy".to_vec(), "not a NumPy .npy file"),
            (
                "ints",
                npy("<i4", false, "(2, 3)", &f4(6)),
                "dtype is '<i4'",
            ),
            ("1d", npy("<f4", false, "(6,)", &f4(6)), "shape (6)"),
            ("3d", npy("<f4", false, "(1, 2, 3)", &f4(6)), "rows x dim"),
            ("short", npy("<f4", false, "(2, 3)", &f4(5)), "truncated"),
            (
                "long",
                npy("<f4", false, "(2, 3)", &f4(7)),
                "4 bytes beyond",
            ),
            ("empty", npy("<f4", false, "(0, 3)", &[]), "empty"),
            ("objects", npy("|O", false, "(2, 3)", &f4(6)), "'|O'"),
        ];
        for (name, bytes, says) in cases {
            let err = load_embeddings(&write(&dir, &format!("{name}.npy"), &bytes))
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{name}: {err}");
            assert!(
                err.contains(&format!("{name}.npy")),
                "{name}: names the file: {err}"
            );
        }
        let mut nan = f4(6);
        nan[4 * 4..4 * 5].copy_from_slice(&f32::NAN.to_le_bytes());
        let err = load_embeddings(&write(&dir, "nan.npy", &npy("<f4", false, "(2, 3)", &nan)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 1") && err.contains("dimension 1") && err.contains("NaN"),
            "{err}"
        );
    }

    /// Files NumPy itself wrote (tests/fixtures/npy/make_npy.py): every layout reads to the
    /// formula's values, every ids dtype to the same ids.
    #[test]
    fn reads_what_numpy_writes() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy");
        let expected: Vec<f32> = (0..3)
            .flat_map(|i| (0..4).map(move |j| i as f32 - 0.25 * j as f32 + 0.5))
            .collect();
        for name in ["f4", "f2", "f8", "f4_big_endian", "f4_fortran"] {
            let e = load_embeddings(&fixtures.join(format!("{name}.npy"))).unwrap();
            assert_eq!((e.len(), e.dim()), (3, 4), "{name}");
            assert_eq!(e.to_vec(), expected, "{name}");
        }
        for name in ["ids_i8", "ids_i4", "ids_u8"] {
            let ids = load_ids(&fixtures.join(format!("{name}.npy"))).unwrap();
            assert_eq!(ids, Ids::Int(vec![10, 20, 30]), "{name}");
        }
        let ids = load_ids(&fixtures.join("ids_str.npy")).unwrap();
        assert_eq!(ids, Ids::Text(vec!["10".into(), "20".into(), "30".into()]));
        // Archives: stored and deflated, with ids; one unnamed array alone.
        for name in ["stored", "deflated"] {
            let read = read_embeddings(&fixtures.join(format!("{name}.npz"))).unwrap();
            assert_eq!(read.embeddings.to_vec(), expected, "{name}");
            let (source, ids) = read.ids.expect("the ids array");
            assert_eq!(ids, Ids::Int(vec![10, 20, 30]), "{name}");
            assert!(
                source.ends_with(&format!("{name}.npz (array 'ids')")),
                "{source}"
            );
        }
        let read = read_embeddings(&fixtures.join("single.npz")).unwrap();
        assert_eq!(read.embeddings.to_vec(), expected);
        assert!(read.ids.is_none());
    }

    #[test]
    fn broken_archives_are_errors() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy");
        let dir = tempfile::tempdir().unwrap();
        let stored = std::fs::read(fixtures.join("stored.npz")).unwrap();
        let deflated = std::fs::read(fixtures.join("deflated.npz")).unwrap();
        let mut cut = stored.clone();
        cut.truncate(stored.len() / 2);
        let mut flipped = deflated.clone();
        // Corrupt the deflate stream of the first member (just past its local header).
        let name_len = u16::from_le_bytes([deflated[26], deflated[27]]) as usize;
        let extra_len = u16::from_le_bytes([deflated[28], deflated[29]]) as usize;
        let start = 30 + name_len + extra_len;
        for b in &mut flipped[start..start + 8] {
            *b ^= 0xa5;
        }
        for (name, bytes, says) in [
            ("cut.npz", cut, "no end-of-directory record"),
            ("flipped.npz", flipped, "embeddings"),
            ("tiny.npz", b"PK\x03\x04".to_vec(), "too short"),
        ] {
            let err = match read_embeddings(&write(&dir, name, &bytes)) {
                Ok(_) => panic!("{name} read"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        }
    }

    #[test]
    fn ids_are_integers_or_strings() {
        let dir = tempfile::tempdir().unwrap();
        let ints: Vec<u8> = [-3i64, 7, 1 << 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let ids = load_ids(&write(&dir, "i.npy", &npy("<i8", false, "(3,)", &ints))).unwrap();
        assert_eq!(ids, Ids::Int(vec![-3, 7, 1 << 40]));
        let small: Vec<u8> = [-1i32, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
        let ids = load_ids(&write(&dir, "s.npy", &npy("<i4", false, "(2,)", &small))).unwrap();
        assert_eq!(ids, Ids::Int(vec![-1, 2]));
        // '<U3': three UCS-4 code points a cell, short names padded with zeros.
        let text: Vec<u8> = ["ab", "çé", "xyz"]
            .iter()
            .flat_map(|s| {
                let mut cell: Vec<u32> = s.chars().map(|c| c as u32).collect();
                cell.resize(3, 0);
                cell.into_iter()
                    .flat_map(u32::to_le_bytes)
                    .collect::<Vec<u8>>()
            })
            .collect();
        let ids = load_ids(&write(&dir, "t.npy", &npy("<U3", false, "(3,)", &text))).unwrap();
        assert_eq!(ids, Ids::Text(vec!["ab".into(), "çé".into(), "xyz".into()]));
        let floats: Vec<u8> = [1.0f64].iter().flat_map(|v| v.to_le_bytes()).collect();
        let err = load_ids(&write(&dir, "f.npy", &npy("<f8", false, "(1,)", &floats)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("integers or strings"), "{err}");
    }
}
