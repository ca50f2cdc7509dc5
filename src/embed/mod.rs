//! Computing CLIP embeddings with ONNX Runtime, so the whole workflow runs without Python:
//! image preprocessing identical to transformers' CLIP processor, the model's own tokenizer, and
//! batch jobs that survive interruption and split across machines.

pub mod captions;
pub(crate) mod images;
pub mod inputs;
pub mod model;
pub mod preprocess;
pub(crate) mod progress;
pub mod runtime;
pub mod tokenize;
