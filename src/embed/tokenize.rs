//! CLIP text tokenisation with the model's own `tokenizer.json`: padded and truncated to the
//! context length (77 for CLIP) the way transformers' `padding="max_length", truncation=True`
//! does, so the end-of-text token survives truncation.

use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub const DEFAULT_CONTEXT: usize = 77;

pub struct TextTokenizer {
    tokenizer: Tokenizer,
    pub context: usize,
}

/// Token ids and attention mask, row-major, `rows x context`.
pub struct Batch {
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub rows: usize,
    pub context: usize,
}

fn token_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("content").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

impl TextTokenizer {
    /// `tokenizer.json`, with padding and context length from `tokenizer_config.json` beside it
    /// when present.
    pub fn from_dir(dir: &Path) -> Result<TextTokenizer> {
        let path = dir.join("tokenizer.json");
        crate::files::check_regular(&path).map_err(|e| Error::io(&path, e))?;
        let mut tokenizer = Tokenizer::from_file(&path)
            .map_err(|e| Error::input(&path, format!("not a usable tokenizer: {e}")))?;
        let config_path = dir.join("tokenizer_config.json");
        let config: Value = match crate::files::read_to_string(&config_path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| Error::input(&config_path, format!("not JSON: {e}")))?,
            Err(_) => Value::Null,
        };
        let context = config
            .get("model_max_length")
            .and_then(Value::as_f64)
            .filter(|&n| (2.0..=4096.0).contains(&n))
            .map_or(DEFAULT_CONTEXT, |n| n as usize);
        let pad_token = config
            .get("pad_token")
            .and_then(token_text)
            .unwrap_or_else(|| "<|endoftext|>".into());
        let pad_id = tokenizer.token_to_id(&pad_token).ok_or_else(|| {
            Error::input(
                &path,
                format!("the padding token {pad_token:?} is not in the vocabulary"),
            )
        })?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(context),
            pad_id,
            pad_token,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: context,
                ..Default::default()
            }))
            .map_err(|e| Error::input(&path, format!("cannot truncate to {context}: {e}")))?;
        Ok(TextTokenizer { tokenizer, context })
    }

    pub fn encode(&self, texts: &[String]) -> Result<Batch> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Internal(format!("tokenising captions: {e}")))?;
        let mut ids = Vec::with_capacity(texts.len() * self.context);
        let mut mask = Vec::with_capacity(texts.len() * self.context);
        for encoding in &encodings {
            debug_assert_eq!(encoding.get_ids().len(), self.context);
            ids.extend(encoding.get_ids().iter().map(|&i| i as i64));
            mask.extend(encoding.get_attention_mask().iter().map(|&m| m as i64));
        }
        Ok(Batch {
            ids,
            mask,
            rows: texts.len(),
            context: self.context,
        })
    }
}
