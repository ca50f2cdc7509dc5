//! The file under the Parquet decoder, with two bounds a corrupt file cannot talk past. A page
//! header may claim a list of 2^31 elements; skipping them reads past the end of the file once
//! per element (each read returning nothing), about a million reads a second: a 60 KB file found
//! by the fuzzer took 0.75 s that way, and a larger claim would take hours. Here a reader fails
//! after a few reads at the end of the file, and a byte range beyond the file fails before any
//! buffer is allocated for it.

use bytes::Bytes;
use parquet::errors::{ParquetError, Result};
use parquet::file::reader::{ChunkReader, Length};
use std::fs::File;
use std::io::{self, BufReader, Read};

/// Reads at the end of the file, in a row, after which a reader fails. Decoders that stop at the
/// end read there once (or twice, through a buffer); only a corrupt count reads again and again.
const READS_AT_END: u32 = 16;

pub(crate) struct ParquetFile {
    file: File,
    len: u64,
}

impl ParquetFile {
    pub fn new(file: File) -> io::Result<ParquetFile> {
        let len = file.metadata()?.len();
        Ok(ParquetFile { file, len })
    }
}

impl Length for ParquetFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for ParquetFile {
    type T = EndGuard<BufReader<File>>;

    fn get_read(&self, start: u64) -> Result<Self::T> {
        Ok(EndGuard {
            inner: self.file.get_read(start)?,
            reads_at_end: 0,
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let end = start.checked_add(length as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(ParquetError::EOF(format!(
                "the metadata claims bytes {start}..{} of a {}-byte file",
                start.saturating_add(length as u64),
                self.len
            )));
        }
        self.file.get_bytes(start, length)
    }
}

/// A reader that fails once it has been asked for data at the end of the file too often.
pub(crate) struct EndGuard<R> {
    inner: R,
    reads_at_end: u32,
}

impl<R: Read> Read for EndGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.reads_at_end += 1;
            if self.reads_at_end > READS_AT_END {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file ends where its headers say more follows",
                ));
            }
        } else {
            self.reads_at_end = 0;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_reading_past_the_end_fails_instead_of_spinning() {
        let mut reader = EndGuard {
            inner: &b"abc"[..],
            reads_at_end: 0,
        };
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).unwrap();
        assert_eq!(sink, b"abc", "an ordinary read to the end is untouched");
        // What a corrupt list of 2^31 doubles does: skip 8 bytes, again and again, at the end.
        let mut skips = 0u64;
        let outcome = loop {
            match io::copy(&mut (&mut reader).take(8), &mut io::sink()) {
                Ok(_) if skips < 2_000_000_000 => skips += 1,
                other => break other,
            }
        };
        assert!(outcome.is_err(), "the loop ended by itself");
        assert!(skips <= u64::from(READS_AT_END), "{skips} reads at the end");
    }

    #[test]
    fn byte_ranges_beyond_the_file_fail_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"PAR1 tiny").unwrap();
        let file = ParquetFile::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(file.get_bytes(0, 4).unwrap().as_ref(), b"PAR1");
        let e = file.get_bytes(4, usize::MAX / 2).unwrap_err().to_string();
        assert!(e.contains("9-byte file"), "{e}");
        assert!(file.get_bytes(u64::MAX, 2).is_err());
    }
}
