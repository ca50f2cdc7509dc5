//! Arrow IPC files, memory-mapped.

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use std::fs::File;

/// An Arrow IPC file, memory-mapped: its record batches borrow the mapping, so an uncompressed
/// file's embedding column is used where it lies, never copied (the OS pages it in on use).
/// The file must not be truncated while faultline runs, as with any memory-mapped input.
pub(crate) struct MappedArrowFile {
    buffer: Buffer,
    pub(super) schema: SchemaRef,
    version: arrow::ipc::MetadataVersion,
    dictionaries: Vec<arrow::ipc::Block>,
    blocks: Vec<arrow::ipc::Block>,
}

impl MappedArrowFile {
    pub(super) fn open(
        file: &File,
    ) -> std::result::Result<MappedArrowFile, arrow::error::ArrowError> {
        use arrow::error::ArrowError;
        // SAFETY: the mapping is read-only; the input contract says inputs are not modified
        // while faultline reads them.
        let mmap = unsafe { memmap2::Mmap::map(file) }
            .map_err(|e| ArrowError::IoError(e.to_string(), e))?;
        let len = mmap.len();
        if len < 18 {
            return Err(ArrowError::ParseError("too short for an Arrow file".into()));
        }
        let ptr = std::ptr::NonNull::new(mmap.as_ptr() as *mut u8)
            .ok_or_else(|| ArrowError::ParseError("empty mapping".into()))?;
        // SAFETY: ptr and len describe the mapping, which the Arc keeps alive as long as any
        // buffer sliced from it.
        let buffer = unsafe { Buffer::from_custom_allocation(ptr, len, std::sync::Arc::new(mmap)) };
        let trailer = len - 10;
        let footer_len = arrow::ipc::reader::read_footer_length(
            buffer[trailer..].try_into().expect("ten bytes"),
        )?;
        let footer_start = trailer
            .checked_sub(footer_len)
            .ok_or_else(|| ArrowError::ParseError("footer longer than the file".into()))?;
        let footer = arrow::ipc::root_as_footer(&buffer[footer_start..trailer])
            .map_err(|e| ArrowError::ParseError(format!("unreadable footer: {e}")))?;
        let schema = footer
            .schema()
            .ok_or_else(|| ArrowError::ParseError("no schema in the footer".into()))?;
        let schema = std::sync::Arc::new(arrow::ipc::convert::try_fb_to_schema(schema)?);
        let version = footer.version();
        let dictionaries = footer
            .dictionaries()
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        let blocks = footer
            .recordBatches()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default();
        Ok(MappedArrowFile {
            buffer,
            schema,
            version,
            dictionaries,
            blocks,
        })
    }

    fn block_data(
        &self,
        block: &arrow::ipc::Block,
    ) -> std::result::Result<Buffer, arrow::error::ArrowError> {
        let start = usize::try_from(block.offset()).ok();
        let len = usize::try_from(block.metaDataLength() as i64 + block.bodyLength()).ok();
        match (start, len) {
            (Some(start), Some(len))
                if start
                    .checked_add(len)
                    .is_some_and(|end| end <= self.buffer.len()) =>
            {
                Ok(self.buffer.slice_with_length(start, len))
            }
            _ => Err(arrow::error::ArrowError::ParseError(
                "a record batch lies outside the file".into(),
            )),
        }
    }

    pub(super) fn batches(
        self,
        projection: Vec<usize>,
    ) -> impl Iterator<Item = std::result::Result<RecordBatch, arrow::error::ArrowError>> {
        let mut decoder = arrow::ipc::reader::FileDecoder::new(self.schema.clone(), self.version)
            .with_projection(projection);
        let mut failed = None;
        for block in &self.dictionaries {
            if let Err(e) = self
                .block_data(block)
                .and_then(|data| decoder.read_dictionary(block, &data))
            {
                failed = Some(e);
                break;
            }
        }
        let mut next = 0;
        std::iter::from_fn(move || {
            if let Some(e) = failed.take() {
                next = self.blocks.len();
                return Some(Err(e));
            }
            let block = self.blocks.get(next)?;
            next += 1;
            let decoded = self
                .block_data(block)
                .and_then(|data| decoder.read_record_batch(block, &data));
            match decoded {
                Ok(Some(batch)) => Some(Ok(batch)),
                Ok(None) => Some(Err(arrow::error::ArrowError::ParseError(
                    "a record batch block holds no record batch".into(),
                ))),
                Err(e) => Some(Err(e)),
            }
        })
    }
}
