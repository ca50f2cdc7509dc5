//! NumPy `.npz` archives: a ZIP of `.npy` members, stored (`np.savez`) or deflated
//! (`np.savez_compressed`). The central directory is read from the end of the file (ZIP64 too,
//! which NumPy uses for every member); a stored member is a slice of the memory-mapped file, a
//! deflated one is inflated, no further than the size its directory entry declares.

use crate::error::{Error, Result};
use arrow::buffer::Buffer;
use std::io::Read;
use std::path::Path;

/// One array of the archive: its name (the member's, without `.npy`) and its `.npy` bytes.
pub struct Member {
    pub name: String,
    pub bytes: Buffer,
}

const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

struct Reader<'a> {
    bytes: &'a [u8],
    path: &'a Path,
}

impl Reader<'_> {
    fn corrupt(&self, what: &str) -> Error {
        Error::input(
            self.path,
            format!("not a readable .npz (ZIP) archive: {what}"),
        )
    }

    fn slice(&self, at: usize, len: usize) -> Result<&[u8]> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| self.corrupt("a record lies beyond the end of the file"))
    }

    fn u16(&self, at: usize) -> Result<u16> {
        let b = self.slice(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize) -> Result<u32> {
        let b = self.slice(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, at: usize) -> Result<u64> {
        let b = self.slice(at, 8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

fn to_usize(value: u64, reader: &Reader) -> Result<usize> {
    usize::try_from(value).map_err(|_| reader.corrupt("a size beyond this machine's"))
}

/// The archive's arrays, in directory order.
pub fn members(path: &Path, file: &Buffer) -> Result<Vec<Member>> {
    let r = Reader {
        bytes: file.as_slice(),
        path,
    };
    let len = r.bytes.len();
    if len < 22 {
        return Err(r.corrupt("too short"));
    }
    // The end-of-directory record: the last 22 bytes, unless a comment (up to 64 KB) follows.
    let earliest = len.saturating_sub(22 + 65_535);
    let eocd = (earliest..=len - 22)
        .rev()
        .find(|&at| r.u32(at).ok() == Some(EOCD))
        .ok_or_else(|| r.corrupt("no end-of-directory record"))?;
    let mut entries = u64::from(r.u16(eocd + 10)?);
    let mut directory = u64::from(r.u32(eocd + 16)?);
    if eocd >= 20 && r.u32(eocd - 20)? == ZIP64_LOCATOR {
        let record = to_usize(r.u64(eocd - 12)?, &r)?;
        if r.u32(record)? != ZIP64_EOCD {
            return Err(r.corrupt("the ZIP64 locator points at no ZIP64 record"));
        }
        entries = r.u64(record + 32)?;
        directory = r.u64(record + 48)?;
    }
    let mut at = to_usize(directory, &r)?;
    let mut out = Vec::new();
    for _ in 0..entries {
        if r.u32(at)? != CENTRAL {
            return Err(r.corrupt("a directory entry is missing"));
        }
        let method = r.u16(at + 10)?;
        let mut compressed = u64::from(r.u32(at + 20)?);
        let mut size = u64::from(r.u32(at + 24)?);
        let name_len = usize::from(r.u16(at + 28)?);
        let extra_len = usize::from(r.u16(at + 30)?);
        let comment_len = usize::from(r.u16(at + 32)?);
        let mut local = u64::from(r.u32(at + 42)?);
        let name = String::from_utf8_lossy(r.slice(at + 46, name_len)?).into_owned();
        // ZIP64 sizes and offset, each present only where the 32-bit field is saturated.
        let extra = r.slice(at + 46 + name_len, extra_len)?;
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[e], extra[e + 1]]);
            let n = usize::from(u16::from_le_bytes([extra[e + 2], extra[e + 3]]));
            let body = extra
                .get(e + 4..e + 4 + n)
                .ok_or_else(|| r.corrupt("an extra field overruns its entry"))?;
            if id == 1 {
                let mut fields = body
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
                for value in [&mut size, &mut compressed, &mut local] {
                    if *value == u64::from(u32::MAX) {
                        *value = fields
                            .next()
                            .ok_or_else(|| r.corrupt("a ZIP64 field is missing"))?;
                    }
                }
            }
            e += 4 + n;
        }
        at += 46 + name_len + extra_len + comment_len;

        let local = to_usize(local, &r)?;
        if r.u32(local)? != LOCAL {
            return Err(r.corrupt(&format!(
                "no local header for '{}'",
                crate::text::visible(&name)
            )));
        }
        let start = local + 30 + usize::from(r.u16(local + 26)?) + usize::from(r.u16(local + 28)?);
        let (compressed, size) = (to_usize(compressed, &r)?, to_usize(size, &r)?);
        r.slice(start, compressed)?;
        let bytes = match method {
            0 => file.slice_with_length(start, compressed),
            8 => {
                let mut inflated = Vec::with_capacity(size.min(1 << 30));
                flate2::read::DeflateDecoder::new(&r.bytes[start..start + compressed])
                    .take(size as u64 + 1)
                    .read_to_end(&mut inflated)
                    .map_err(|e| {
                        r.corrupt(&format!(
                            "'{}' does not inflate: {e}",
                            crate::text::visible(&name)
                        ))
                    })?;
                if inflated.len() != size {
                    return Err(r.corrupt(&format!(
                        "'{}' inflates to {} bytes, not the {size} its entry declares",
                        crate::text::visible(&name),
                        inflated.len()
                    )));
                }
                Buffer::from_vec(inflated)
            }
            m => {
                return Err(r.corrupt(&format!(
                "'{}' uses compression method {m}; NumPy writes stored (0) or deflated (8) members",
                crate::text::visible(&name)
            )))
            }
        };
        let name = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        out.push(Member { name, bytes });
    }
    Ok(out)
}
