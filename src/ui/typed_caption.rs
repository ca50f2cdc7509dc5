//! Captions the user types in the explorer, embedded with the CLIP text tower on a worker thread
//! (the model loads on first use, so the explorer opens at once), then scored against the
//! selected class's failure direction and checked on the nearest test images.

use crate::analysis::captions::{reference_text, score_text};
use crate::analysis::check::{accuracy_near, NearestAccuracy};
use crate::analysis::Model;
use crate::data::{Dataset, Split};
use std::sync::mpsc::{channel, Receiver, Sender};

/// Embeds texts; returns one vector per text. Boxed so tests can stand in for a model.
pub type Embedder = Box<dyn FnMut(&[String]) -> Result<Vec<Vec<f32>>, String> + Send>;

/// Opens the embedder on the worker thread (loading a text model takes a moment).
pub type OpenEmbedder = Box<dyn FnOnce() -> Result<Embedder, String> + Send>;

struct Request {
    class: u32,
    texts: [String; 2],
}

type Response = (u32, String, Result<(Vec<f32>, Vec<f32>), String>);

pub struct CaptionWorker {
    requests: Sender<Request>,
    results: Receiver<Response>,
}

impl CaptionWorker {
    pub fn spawn(open: OpenEmbedder) -> CaptionWorker {
        let (requests, inbox) = channel::<Request>();
        let (outbox, results) = channel();
        std::thread::spawn(move || {
            let mut embedder: Result<Embedder, String> =
                Err("the text model is not loaded yet".into());
            let mut open = Some(open);
            for request in inbox {
                if let Some(open) = open.take() {
                    embedder = open();
                }
                let outcome = match &mut embedder {
                    Err(e) => Err(e.clone()),
                    Ok(embed) => embed(&request.texts).and_then(|mut v| {
                        if v.len() != 2 {
                            return Err("the text model returned the wrong number of rows".into());
                        }
                        let reference = v.pop().expect("two rows");
                        Ok((v.pop().expect("two rows"), reference))
                    }),
                };
                let [text, _] = request.texts;
                if outbox.send((request.class, text, outcome)).is_err() {
                    return;
                }
            }
        });
        CaptionWorker { requests, results }
    }

    /// Asks for the caption and the class's reference caption.
    pub fn request(&self, class: u32, class_name: &str, text: &str) {
        let _ = self.requests.send(Request {
            class,
            texts: [text.to_string(), reference_text(class_name)],
        });
    }

    pub fn try_result(&self) -> Option<Response> {
        self.results.try_recv().ok()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypedResult {
    Pending,
    Scored {
        score: f64,
        near: Option<NearestAccuracy>,
    },
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypedCaption {
    pub class: u32,
    pub text: String,
    pub result: TypedResult,
}

/// Scores an embedded caption for `class`, as the caption bank's captions are scored.
pub fn score(
    dataset: &Dataset,
    model: &Model,
    class: u32,
    text: &[f32],
    reference: &[f32],
    k: usize,
) -> TypedResult {
    let dim = dataset.dim();
    if text.len() != dim || reference.len() != dim {
        return TypedResult::Failed(format!(
            "the text model gives {} values, the dataset's embeddings have {dim}: use the CLIP model that embedded the images",
            text.len()
        ));
    }
    let Some(direction) = model.classes[class as usize].direction() else {
        return TypedResult::Failed("this class has no failure direction".into());
    };
    let mut difference = vec![0.0f32; dim];
    let mut transformed = vec![0.0f32; dim];
    let score = score_text(
        &model.standardizer,
        direction,
        text,
        reference,
        (&mut difference, &mut transformed),
    );
    let near = accuracy_near(dataset, dataset.rows_of(class, Split::Test), text, k);
    TypedResult::Scored { score, near }
}
