//! A CLIP model folder as common exporters write it, run with ONNX Runtime.
//!
//! Layouts: separate `vision_model.onnx` and `text_model.onnx` (transformers.js / HF style, in
//! DIR or DIR/onnx), or one combined `model.onnx` (optimum: inputs input_ids, attention_mask,
//! pixel_values; outputs text_embeds, image_embeds). Beside them: `preprocessor_config.json`
//! for images and `tokenizer.json` for text. Embeddings come back L2-normalised, so every layout
//! gives the same vectors.

use super::preprocess::ImageConfig;
use super::runtime;
use super::tokenize::TextTokenizer;
use crate::error::{Error, Result};
use ort::session::{Session, SessionInputValue};
use ort::value::{Tensor, TensorElementType, ValueType};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Cuda,
}

/// Which towers a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Towers {
    Image,
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelFiles {
    pub dir: PathBuf,
    /// The graph with the image tower (a combined model serves both).
    pub vision: Option<PathBuf>,
    pub text: Option<PathBuf>,
    pub combined: bool,
    pub preprocessor: Option<PathBuf>,
    pub tokenizer_dir: Option<PathBuf>,
}

/// The first of `names` present in `dir` or `dir/onnx`. Anything by that name counts, so a FIFO
/// or folder there is refused as such when opened, not reported as missing.
fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join("onnx")]
        .iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.exists())
}

impl ModelFiles {
    /// Finds the files in `dir`; the error names everything missing for the towers asked for.
    pub fn discover(dir: &Path, towers: Towers) -> Result<ModelFiles> {
        if !dir.is_dir() {
            return Err(Error::input(
                dir,
                "not a model folder (expected vision_model.onnx + text_model.onnx or model.onnx, \
                 with preprocessor_config.json and tokenizer.json)",
            ));
        }
        let combined = first_existing(dir, &["model.onnx"]);
        let vision = first_existing(dir, &["vision_model.onnx"]).or(combined.clone());
        let text = first_existing(dir, &["text_model.onnx"]).or(combined.clone());
        let preprocessor = first_existing(dir, &["preprocessor_config.json"]);
        let tokenizer_dir = first_existing(dir, &["tokenizer.json"])
            .and_then(|p| p.parent().map(Path::to_path_buf));
        let mut missing = Vec::new();
        match towers {
            Towers::Image => {
                if vision.is_none() {
                    missing.push("vision_model.onnx (or a combined model.onnx)");
                }
                if preprocessor.is_none() {
                    missing.push("preprocessor_config.json");
                }
            }
            Towers::Text => {
                if text.is_none() {
                    missing.push("text_model.onnx (or a combined model.onnx)");
                }
                if tokenizer_dir.is_none() {
                    missing.push("tokenizer.json");
                }
            }
        }
        if !missing.is_empty() {
            return Err(Error::input(
                dir,
                format!(
                    "the model folder lacks {} (looked in the folder and its onnx/ subfolder)",
                    missing.join(" and ")
                ),
            ));
        }
        let is_combined = combined.is_some()
            && match towers {
                Towers::Image => vision == combined,
                Towers::Text => text == combined,
            };
        Ok(ModelFiles {
            dir: dir.to_path_buf(),
            vision,
            text,
            combined: is_combined,
            preprocessor,
            tokenizer_dir,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Feed {
    Pixels,
    InputIds(TensorElementType),
    AttentionMask(TensorElementType),
    PositionIds(TensorElementType),
}

/// One ONNX graph and how to feed it.
struct Graph {
    session: Mutex<Session>,
    path: PathBuf,
    feeds: Vec<(String, Feed)>,
    output: String,
}

fn session(path: &Path, device: Device, threads: Option<usize>) -> Result<Session> {
    let environment = runtime::init(None)?;
    let fail = |e: String| Error::input(path, format!("ONNX Runtime cannot load it: {e}"));
    let mut builder = Session::builder(environment).map_err(|e| fail(e.to_string()))?;
    if let Some(n) = threads {
        builder = builder
            .with_intra_threads(n)
            .map_err(|e| fail(e.to_string()))?;
    }
    if device == Device::Cuda {
        builder = builder
            .with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])
            .map_err(|e| {
                Error::usage(format!(
                    "--device cuda: the CUDA execution provider is not available in this ONNX \
                     Runtime ({e}); install onnxruntime-gpu or use --device cpu (where onnxruntime \
                     and onnxruntime-gpu are both installed they share one folder: `pip uninstall \
                     -y onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu`)"
                ))
            })?;
    }
    crate::files::check_regular(path).map_err(|e| fail(e.to_string()))?;
    builder
        .commit_from_file(path)
        .map_err(|e| fail(e.to_string()))
}

impl Graph {
    fn open(
        path: &Path,
        device: Device,
        threads: Option<usize>,
        output: &str,
        needs: Feed,
    ) -> Result<Graph> {
        let session = session(path, device, threads)?;
        let mut feeds = Vec::new();
        for input in session.inputs() {
            let ty = match input.dtype() {
                ValueType::Tensor { ty, .. } => *ty,
                other => {
                    return Err(Error::input(
                        path,
                        format!("input '{}' is not a tensor ({other:?})", input.name()),
                    ))
                }
            };
            let integer = matches!(ty, TensorElementType::Int64 | TensorElementType::Int32);
            let feed = match input.name() {
                "pixel_values" if ty == TensorElementType::Float32 => Feed::Pixels,
                "input_ids" if integer => Feed::InputIds(ty),
                "attention_mask" if integer => Feed::AttentionMask(ty),
                "position_ids" if integer => Feed::PositionIds(ty),
                name => {
                    return Err(Error::input(
                        path,
                        format!(
                            "unexpected input '{name}' of type {ty:?}: a CLIP export takes \
                             pixel_values (float32), input_ids and attention_mask (int64)"
                        ),
                    ))
                }
            };
            feeds.push((input.name().to_string(), feed));
        }
        let has = |want: fn(&Feed) -> bool| feeds.iter().any(|(_, f)| want(f));
        let ok = match needs {
            Feed::Pixels => has(|f| *f == Feed::Pixels),
            _ => has(|f| matches!(f, Feed::InputIds(_))),
        };
        if !ok {
            return Err(Error::input(
                path,
                format!(
                    "has no {} input",
                    if needs == Feed::Pixels {
                        "pixel_values"
                    } else {
                        "input_ids"
                    }
                ),
            ));
        }
        if !session.outputs().iter().any(|o| o.name() == output) {
            let names: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
            return Err(Error::input(
                path,
                format!("has no '{output}' output (it has {names:?})"),
            ));
        }
        Ok(Graph {
            session: Mutex::new(session),
            path: path.to_path_buf(),
            feeds,
            output: output.to_string(),
        })
    }

    /// Runs one batch. `pixels` is `images x 3 x h x w`; `tokens` is `(ids, mask, rows, context)`.
    /// A combined model gets a one-row dummy for the tower not asked for.
    fn run(
        &self,
        pixels: Option<(&[f32], usize, [usize; 2])>,
        tokens: Option<(&[i64], &[i64], usize, usize)>,
        dummy_pixels: [usize; 2],
        dummy_context: usize,
    ) -> Result<(Vec<f32>, usize)> {
        let fail = |e: ort::Error| Error::Internal(format!("running {}: {e}", self.path.display()));
        let dummy_ids: Vec<i64>;
        let dummy_mask: Vec<i64>;
        let (ids, mask, rows, context) = match tokens {
            Some(t) => t,
            None => {
                dummy_ids = vec![0; dummy_context];
                dummy_mask = vec![1; dummy_context];
                (&dummy_ids[..], &dummy_mask[..], 1, dummy_context)
            }
        };
        let dummy_image: Vec<f32>;
        let (pixel_values, images, [h, w]) = match pixels {
            Some(p) => p,
            None => {
                dummy_image = vec![0.0; 3 * dummy_pixels[0] * dummy_pixels[1]];
                (&dummy_image[..], 1, dummy_pixels)
            }
        };
        let integers =
            |values: &[i64], ty: TensorElementType| -> Result<SessionInputValue<'static>> {
                let shape = [rows, context];
                Ok(match ty {
                    TensorElementType::Int32 => Tensor::from_array((
                        shape,
                        values.iter().map(|&v| v as i32).collect::<Vec<i32>>(),
                    ))
                    .map_err(fail)?
                    .into(),
                    _ => Tensor::from_array((shape, values.to_vec()))
                        .map_err(fail)?
                        .into(),
                })
            };
        let mut inputs: Vec<(Cow<str>, SessionInputValue)> = Vec::new();
        for (name, feed) in &self.feeds {
            let value: SessionInputValue = match *feed {
                Feed::Pixels => Tensor::from_array(([images, 3, h, w], pixel_values.to_vec()))
                    .map_err(fail)?
                    .into(),
                Feed::InputIds(ty) => integers(ids, ty)?,
                Feed::AttentionMask(ty) => integers(mask, ty)?,
                Feed::PositionIds(ty) => {
                    let positions: Vec<i64> = (0..rows).flat_map(|_| 0..context as i64).collect();
                    integers(&positions, ty)?
                }
            };
            inputs.push((Cow::Owned(name.clone()), value));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Internal("a model session was poisoned".into()))?;
        let outputs = session.run(inputs).map_err(fail)?;
        let (shape, values) = outputs[self.output.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(fail)?;
        let expected_rows = if pixels.is_some() { images } else { rows };
        if shape.len() != 2 || shape[0] as usize != expected_rows {
            return Err(Error::input(
                &self.path,
                format!(
                    "output '{}' has shape {:?}; expected [{expected_rows}, dim]",
                    self.output,
                    &shape[..]
                ),
            ));
        }
        Ok((values.to_vec(), shape[1] as usize))
    }
}

/// Row-wise L2 normalisation (a zero row stays zero).
pub fn normalise_rows(values: &mut [f32], dim: usize) {
    for row in values.chunks_mut(dim) {
        let norm = row
            .iter()
            .map(|v| (*v as f64) * (*v as f64))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            for v in row {
                *v = (*v as f64 / norm) as f32;
            }
        }
    }
}

pub struct ImageModel {
    graph: Graph,
    pub config: ImageConfig,
    combined_context: usize,
}

impl ImageModel {
    pub fn open(dir: &Path, device: Device, threads: Option<usize>) -> Result<ImageModel> {
        let files = ModelFiles::discover(dir, Towers::Image)?;
        let config = ImageConfig::from_file(files.preprocessor.as_ref().expect("discovered"))?;
        let path = files.vision.as_ref().expect("discovered");
        let graph = Graph::open(path, device, threads, "image_embeds", Feed::Pixels)?;
        Ok(ImageModel {
            graph,
            config,
            combined_context: super::tokenize::DEFAULT_CONTEXT,
        })
    }

    /// The ONNX file with the image tower.
    pub fn graph_path(&self) -> &Path {
        &self.graph.path
    }

    /// L2-normalised embeddings of preprocessed images (`n x 3 x h x w` values).
    pub fn embed(&self, pixels: &[f32], n: usize) -> Result<(Vec<f32>, usize)> {
        let size = [
            self.config.crop_height as usize,
            self.config.crop_width as usize,
        ];
        let (mut values, dim) =
            self.graph
                .run(Some((pixels, n, size)), None, size, self.combined_context)?;
        normalise_rows(&mut values, dim);
        Ok((values, dim))
    }
}

pub struct TextModel {
    graph: Graph,
    pub tokenizer: TextTokenizer,
    dummy_pixels: [usize; 2],
}

impl TextModel {
    pub fn open(dir: &Path, device: Device, threads: Option<usize>) -> Result<TextModel> {
        let files = ModelFiles::discover(dir, Towers::Text)?;
        let tokenizer = TextTokenizer::from_dir(files.tokenizer_dir.as_ref().expect("found"))?;
        let path = files.text.as_ref().expect("discovered");
        let graph = Graph::open(
            path,
            device,
            threads,
            "text_embeds",
            Feed::InputIds(TensorElementType::Int64),
        )?;
        // A combined model also wants an image; its size comes from the preprocessor config.
        let dummy_pixels = match (&files.preprocessor, files.combined) {
            (Some(p), true) => {
                let config = ImageConfig::from_file(p)?;
                [config.crop_height as usize, config.crop_width as usize]
            }
            (None, true) => {
                return Err(Error::input(
                    dir,
                    "a combined model.onnx also needs preprocessor_config.json (for its image input size)",
                ))
            }
            _ => [224, 224],
        };
        Ok(TextModel {
            graph,
            tokenizer,
            dummy_pixels,
        })
    }

    /// L2-normalised embeddings of `texts`.
    pub fn embed(&self, texts: &[String]) -> Result<(Vec<f32>, usize)> {
        let batch = self.tokenizer.encode(texts)?;
        let (mut values, dim) = self.graph.run(
            None,
            Some((&batch.ids, &batch.mask, batch.rows, batch.context)),
            self.dummy_pixels,
            batch.context,
        )?;
        normalise_rows(&mut values, dim);
        Ok((values, dim))
    }
}
