//! Captions the user types in the explorer, embedded with the CLIP text tower on a worker thread
//! (the model loads on first use, so the explorer opens at once), then scored against the
//! selected class's failure direction and checked on the nearest test images: the class's, and
//! the whole dataset's through an index the worker builds on first use.

use super::workers::{Message, Outbox, Pool};
use crate::analysis::captions::{reference_text, score_text};
use crate::analysis::check::{accuracy_near, summarize_nearest, NearestAccuracy, NearestInDataset};
use crate::analysis::index::CosineIndex;
use crate::analysis::Model;
use crate::data::{available_memory, Dataset, Split};
use std::sync::{Arc, Mutex};

/// Embeds texts; returns one vector per text. Boxed so tests can stand in for a model.
pub type Embedder = Box<dyn FnMut(&[String]) -> Result<Vec<Vec<f32>>, String> + Send>;

/// Opens the embedder on the worker thread (loading a text model takes a moment).
pub type OpenEmbedder = Box<dyn FnOnce() -> Result<Embedder, String> + Send>;

struct Request {
    class: u32,
    texts: [String; 2],
    dataset: Arc<Dataset>,
    k: usize,
}

/// A caption and the class's reference caption, embedded, and the caption's nearest test images
/// across the whole dataset.
pub struct Embedded {
    pub text: Vec<f32>,
    pub reference: Vec<f32>,
    /// None when the caption cannot be compared with the images; Err says why it was not searched.
    pub across: Option<Result<NearestInDataset, String>>,
}

/// The class, the caption, and its embedding (or why not).
pub type Response = (u32, String, Result<Embedded, String>);

/// Embeds typed captions on a worker thread; the newest caption wins (older ones waiting are
/// dropped), results arrive as [`Message::Caption`].
pub struct CaptionWorker {
    pool: Pool<Request>,
}

/// The test rows of one dataset, indexed for whole-dataset search.
struct SearchIndex {
    dataset: Arc<Dataset>,
    index: CosineIndex,
}

impl SearchIndex {
    /// The index of `dataset`, built on first use (about a second per million rows); an error
    /// when it would take more than half the memory left, rather than risk the OOM killer.
    fn of<'a>(
        cached: &'a mut Option<SearchIndex>,
        dataset: &Arc<Dataset>,
        free_memory: Option<u64>,
    ) -> Result<&'a CosineIndex, String> {
        if !cached
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(&c.dataset, dataset))
        {
            let rows: Vec<usize> = (0..dataset.len())
                .filter(|&i| dataset.splits[i] == Split::Test)
                .collect();
            let needed = CosineIndex::bytes_for(rows.len(), dataset.dim()) as u64;
            if let Some(available) = free_memory {
                if needed > available / 2 {
                    return Err(format!(
                        "not searched: the index needs {:.1} GB and {:.1} GB are free",
                        needed as f64 / 1e9,
                        available as f64 / 1e9
                    ));
                }
            }
            *cached = Some(SearchIndex {
                dataset: dataset.clone(),
                index: CosineIndex::build(dataset, rows),
            });
        }
        Ok(&cached.as_ref().expect("just built").index)
    }
}

/// What the worker keeps between captions: the text model, opened on first use, and the
/// whole-dataset index, built on first use.
struct WorkerState {
    open: Option<OpenEmbedder>,
    embedder: Result<Embedder, String>,
    search: Option<SearchIndex>,
}

impl WorkerState {
    fn embed(&mut self, request: &Request) -> Result<Embedded, String> {
        if let Some(open) = self.open.take() {
            self.embedder = open();
        }
        let embed = self.embedder.as_mut().map_err(|e| e.clone())?;
        let mut v = embed(&request.texts)?;
        if v.len() != 2 {
            return Err("the text model returned the wrong number of rows".into());
        }
        let reference = v.pop().expect("two rows");
        let text = v.pop().expect("two rows");
        let dataset = &request.dataset;
        // A caption of the wrong dimension fails in `score` with its reason.
        let across = (text.len() == dataset.dim()).then(|| {
            let index = SearchIndex::of(&mut self.search, dataset, available_memory())?;
            let rows: Vec<usize> = index
                .nearest(dataset, &text, request.k)
                .into_iter()
                .map(|(_, row)| row)
                .collect();
            summarize_nearest(dataset, &rows)
                .ok_or_else(|| "the dataset has no test rows".to_string())
        });
        Ok(Embedded {
            text,
            reference,
            across,
        })
    }
}

impl CaptionWorker {
    pub fn spawn(open: OpenEmbedder, outbox: Outbox) -> CaptionWorker {
        let state = Mutex::new(WorkerState {
            open: Some(open),
            embedder: Err("the text model is not loaded yet".into()),
            search: None,
        });
        let pool = Pool::new(1, 1, outbox, move |request: Request| {
            let outcome = state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .embed(&request);
            let [text, _] = request.texts;
            Some(Message::Caption((request.class, text, outcome)))
        });
        CaptionWorker { pool }
    }

    /// Asks for the caption and the class's reference caption, and the caption's `k` nearest
    /// test images in `dataset`.
    pub fn request(&self, dataset: &Arc<Dataset>, class: u32, text: &str, k: usize) {
        let class_name = &dataset.class_names[class as usize];
        self.pool.submit(Request {
            class,
            texts: [text.to_string(), reference_text(class_name)],
            dataset: dataset.clone(),
            k,
        });
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypedResult {
    Pending,
    Scored {
        score: f64,
        /// The class's nearest test images.
        near: Option<NearestAccuracy>,
        /// The whole dataset's nearest test images, or why they were not searched.
        across: Option<Result<NearestInDataset, String>>,
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
    mode: usize,
    embedded: Embedded,
    k: usize,
) -> TypedResult {
    let (text, reference) = (&embedded.text[..], &embedded.reference[..]);
    let dim = dataset.dim();
    if text.len() != dim || reference.len() != dim {
        return TypedResult::Failed(format!(
            "the text model gives {} values, the dataset's embeddings have {dim}: use the CLIP model that embedded the images",
            text.len()
        ));
    }
    let Some(scorer) = model.scorer(class, crate::analysis::Along::Mode(mode)) else {
        return TypedResult::Failed("this class has no failure direction".into());
    };
    let mut difference = vec![0.0f32; dim];
    let mut transformed = vec![0.0f32; dim];
    let score = score_text(
        &model.standardizer,
        scorer,
        text,
        reference,
        (&mut difference, &mut transformed),
    );
    let near = accuracy_near(dataset, dataset.rows_of(class, Split::Test), text, k);
    TypedResult::Scored {
        score,
        near,
        across: embedded.across,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{generate, DemoOptions};

    #[test]
    fn the_index_is_built_once_and_refused_when_memory_is_short() {
        let dataset = Arc::new(generate(&DemoOptions::default()).dataset);
        let mut cached = None;
        let short = SearchIndex::of(&mut cached, &dataset, Some(1_000_000)).unwrap_err();
        assert!(
            short.starts_with("not searched: the index needs"),
            "{short}"
        );
        assert!(cached.is_none());
        let tests = dataset.splits.iter().filter(|&&s| s == Split::Test).count();
        let built = SearchIndex::of(&mut cached, &dataset, None).unwrap().len();
        assert_eq!(built, tests);
        let first = &cached.as_ref().unwrap().index as *const CosineIndex;
        // The same dataset reuses the index, whatever memory says now.
        SearchIndex::of(&mut cached, &dataset, Some(0)).unwrap();
        assert!(std::ptr::eq(first, &cached.as_ref().unwrap().index));
    }
}
