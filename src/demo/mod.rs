//! The built-in demo: a small synthetic world with planted failure modes, in the same contract
//! as real data, so `faultline demo` shows the method working with nothing to download.
//!
//! Each example is an object of some class, with a colour and a context ("a red car on the
//! beach"). Embeddings mimic CLIP's geometry: a large offset shared by all image embeddings, a
//! modality gap between images and text, one concept vector per class, colour and context, and
//! per-image noise. The "model" errs with a base rate, except where a planted attribute makes a
//! class much harder (or, for one class, much easier); one control class errs at random.

mod thumbnails;
pub mod write;

pub use thumbnails::render_thumbnail;
pub use write::write_demo;

use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Embeddings, Ids, Split, SplitSource};
use crate::rng::Rng;
use std::path::PathBuf;

pub const COLOURS: [&str; 5] = ["black", "white", "brown", "red", "grey"];
pub const CONTEXTS: [&str; 5] = [
    "at night",
    "in the snow",
    "on the grass",
    "on the beach",
    "indoors",
];
/// How a photo was taken; most are neither.
pub const QUALITIES: [&str; 2] = ["blurry", "close-up"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Colour(usize),
    Context(usize),
    Quality(usize),
}

impl Attribute {
    pub fn text(self) -> &'static str {
        match self {
            Attribute::Colour(i) => COLOURS[i],
            Attribute::Context(i) => CONTEXTS[i],
            Attribute::Quality(i) => QUALITIES[i],
        }
    }
}

/// What was planted in a class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Planted {
    /// The model fails often on this attribute, rarely elsewhere.
    Hard(Attribute),
    /// Two independent failure modes: the model fails often on either attribute.
    HardEither(Attribute, Attribute),
    /// The model fails often except on this attribute.
    Easy(Attribute),
    /// Errors at random: no failure mode to find.
    Control,
}

impl Planted {
    /// The attributes whose presence makes the model fail.
    pub fn hard(self) -> Vec<Attribute> {
        match self {
            Planted::Hard(a) => vec![a],
            Planted::HardEither(a, b) => vec![a, b],
            Planted::Easy(_) | Planted::Control => Vec::new(),
        }
    }
}

/// The demo's classes. Blurry photos hurt deer, sheep and cow alike: a failure shared across
/// classes. The wolf fails on black coats and, separately, on close-ups: two modes in one class.
pub const CLASSES: [(&str, Planted); 10] = [
    ("dog", Planted::Hard(Attribute::Context(1))),
    ("cat", Planted::Hard(Attribute::Colour(1))),
    ("bird", Planted::Hard(Attribute::Context(0))),
    ("car", Planted::Hard(Attribute::Colour(3))),
    ("boat", Planted::Easy(Attribute::Context(3))),
    ("horse", Planted::Control),
    (
        "wolf",
        Planted::HardEither(Attribute::Colour(0), Attribute::Quality(1)),
    ),
    ("deer", Planted::Hard(Attribute::Quality(0))),
    ("sheep", Planted::Hard(Attribute::Quality(0))),
    ("cow", Planted::Hard(Attribute::Quality(0))),
];

/// How the retrained model (the demo's `prediction_after`) does on a class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retrained {
    /// As the model before it (its errors redrawn: a retrained model does not repeat the old
    /// one's mistakes row for row).
    Same,
    /// The planted failure's error rate becomes this (0.06, the rate elsewhere: fixed; 0.4:
    /// weaker; 0.97: worse).
    HardRate(f64),
    /// The planted pattern is gone and the model now fails on this attribute instead.
    NewFailure(Attribute),
}

/// One class of a generated world.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSpec {
    pub name: String,
    pub planted: Planted,
    /// How often a photo of the class is blurry, and a close-up.
    pub quality_rates: [f64; 2],
    pub retrained: Retrained,
}

impl ClassSpec {
    pub fn new(name: &str, planted: Planted) -> ClassSpec {
        ClassSpec {
            name: name.to_string(),
            planted,
            quality_rates: [0.12, 0.12],
            retrained: Retrained::Same,
        }
    }

    pub fn retrained(mut self, retrained: Retrained) -> ClassSpec {
        self.retrained = retrained;
        self
    }
}

/// What the demo's retrained model changed: the dog's snow fixed, the car's red weaker, the
/// bird's night worse, and the horse, a control before, now failing on grass. The rest (the
/// cat's white coats, the wolf's two modes, the shared blur) persist.
pub const RETRAINED: [(&str, Retrained); 4] = [
    ("dog", Retrained::HardRate(0.06)),
    ("car", Retrained::HardRate(0.4)),
    ("bird", Retrained::HardRate(0.97)),
    ("horse", Retrained::NewFailure(Attribute::Context(2))),
];

/// The demo's world: [`CLASSES`] with the usual rate of blurry photos and close-ups, and the
/// retrained model of [`RETRAINED`].
pub fn demo_classes() -> Vec<ClassSpec> {
    CLASSES
        .iter()
        .map(|(name, planted)| {
            let retrained = RETRAINED
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Retrained::Same, |(_, r)| *r);
            ClassSpec::new(name, *planted).retrained(retrained)
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub dim: usize,
    /// Rows per class in train, val, test and pool.
    pub per_split: [usize; 4],
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 7,
            dim: 256,
            per_split: [600, 500, 500, 300],
        }
    }
}

/// What a generated row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub class: u32,
    pub colour: usize,
    pub context: usize,
    pub quality: Option<usize>,
}

impl Look {
    pub fn has(&self, attribute: Attribute) -> bool {
        match attribute {
            Attribute::Colour(c) => c == self.colour,
            Attribute::Context(c) => c == self.context,
            Attribute::Quality(q) => Some(q) == self.quality,
        }
    }
}

/// The generated world: a dataset, its caption bank, and each row's hidden attributes.
#[derive(Debug, Clone)]
pub struct Demo {
    pub dataset: Dataset,
    /// The same examples under the retrained model (`prediction_after`, `confidence_after`).
    pub after: Dataset,
    pub captions: CaptionBank,
    /// What every row shows, including pool rows whose label is hidden.
    pub truth: Vec<Look>,
    /// The classes as generated.
    pub classes: Vec<ClassSpec>,
    /// The world's text side, so typed captions work in the demo without a CLIP model.
    pub text: DemoText,
}

/// Embeds captions in the demo's vocabulary (its classes, colours and places) as the demo's
/// caption bank was made, without noise: "a photo of a dog in the snow" lands where the bank's
/// caption of the same words does.
#[derive(Debug, Clone)]
pub struct DemoText {
    concepts: Concepts,
    names: Vec<String>,
}

/// The words of `text`, lower case, split at anything not a letter or digit.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The first of `names` (each one or more words) that occurs in `words`.
fn find(words: &[String], names: &[&str]) -> Option<usize> {
    names.iter().position(|name| {
        let name: Vec<&str> = name.split(' ').collect();
        words
            .windows(name.len())
            .any(|w| w.iter().map(String::as_str).eq(name.iter().copied()))
    })
}

impl DemoText {
    /// The caption's embedding; `class` stands in when the caption names no class.
    pub fn embed(&self, text: &str, class: Option<usize>) -> Result<Vec<f32>, String> {
        let words = words(text);
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let class = find(&words, &names).or(class).ok_or_else(|| {
            format!(
                "the demo's text side knows the classes {}, the colours {}, the places {} and the words {}",
                names.join(", "),
                COLOURS.join(", "),
                CONTEXTS.join(", "),
                QUALITIES.join(", ")
            )
        })?;
        let qualities: Vec<String> = QUALITIES.iter().map(|q| q.replace('-', " ")).collect();
        let qualities: Vec<&str> = qualities.iter().map(String::as_str).collect();
        let composed = self.concepts.compose(
            &self.concepts.text_offset,
            class,
            find(&words, &COLOURS),
            find(&words, &CONTEXTS),
            find(&words, &qualities),
        );
        Ok(normalised(&composed))
    }

    /// Texts embedded in order; a caption without a class takes the class of the last text
    /// that names one (the explorer sends the caption, then the class's reference caption).
    pub fn embed_all(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let fallback = texts.iter().rev().find_map(|t| find(&words(t), &names));
        texts.iter().map(|t| self.embed(t, fallback)).collect()
    }
}

fn random_vector(rng: &mut Rng, dim: usize, norm: f64) -> Vec<f64> {
    let v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x * norm / n).collect()
}

fn normalised(v: &[f64]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter().map(|x| (x / n) as f32).collect()
}

#[derive(Debug, Clone)]
struct Concepts {
    image_offset: Vec<f64>,
    text_offset: Vec<f64>,
    classes: Vec<Vec<f64>>,
    colours: Vec<Vec<f64>>,
    contexts: Vec<Vec<f64>>,
    qualities: Vec<Vec<f64>>,
}

impl Concepts {
    fn new(rng: &mut Rng, dim: usize, classes: usize) -> Self {
        let image_offset = random_vector(rng, dim, 3.0);
        let gap = random_vector(rng, dim, 2.0);
        let text_offset = image_offset.iter().zip(&gap).map(|(a, b)| a + b).collect();
        Concepts {
            image_offset,
            text_offset,
            classes: (0..classes).map(|_| random_vector(rng, dim, 1.0)).collect(),
            colours: (0..COLOURS.len())
                .map(|_| random_vector(rng, dim, 0.6))
                .collect(),
            contexts: (0..CONTEXTS.len())
                .map(|_| random_vector(rng, dim, 0.6))
                .collect(),
            qualities: (0..QUALITIES.len())
                .map(|_| random_vector(rng, dim, 0.6))
                .collect(),
        }
    }

    fn compose(
        &self,
        offset: &[f64],
        class: usize,
        colour: Option<usize>,
        context: Option<usize>,
        quality: Option<usize>,
    ) -> Vec<f64> {
        let mut v: Vec<f64> = offset
            .iter()
            .zip(&self.classes[class])
            .map(|(a, b)| a + b)
            .collect();
        for part in [
            colour.map(|c| &self.colours[c]),
            context.map(|c| &self.contexts[c]),
            quality.map(|q| &self.qualities[q]),
        ]
        .into_iter()
        .flatten()
        {
            v.iter_mut().zip(part).for_each(|(a, b)| *a += b);
        }
        v
    }
}

fn error_probability(planted: Planted, look: &Look) -> f64 {
    match planted {
        Planted::Hard(a) if look.has(a) => 0.75,
        Planted::HardEither(a, b) if look.has(a) || look.has(b) => 0.75,
        Planted::Hard(_) | Planted::HardEither(..) => 0.06,
        Planted::Easy(a) if look.has(a) => 0.03,
        Planted::Easy(_) => 0.45,
        Planted::Control => 0.2,
    }
}

/// The retrained model's error rate on a row (see [`Retrained`]).
fn error_probability_after(spec: &ClassSpec, look: &Look) -> f64 {
    match spec.retrained {
        Retrained::Same => error_probability(spec.planted, look),
        Retrained::HardRate(rate) if spec.planted.hard().iter().any(|a| look.has(*a)) => rate,
        Retrained::HardRate(_) => error_probability(spec.planted, look),
        Retrained::NewFailure(a) => error_probability(Planted::Hard(a), look),
    }
}

/// A model's outcome on one row: its prediction and its confidence in it.
fn outcome(rng: &mut Rng, class: usize, num_classes: usize, wrong: bool) -> (usize, f32) {
    let predicted = if wrong {
        (class + 1 + rng.below(num_classes - 1)) % num_classes
    } else {
        class
    };
    // A plausibly calibrated but noisy model: lower confidence on errors, with overlap.
    let centre = if wrong { 0.42 } else { 0.72 };
    let score = (centre + 0.18 * rng.normal()).clamp(0.01, 0.99);
    // The predicted class's softmax probability, the largest of K: at least 1/K (the map keeps
    // the order, so the confidence baseline is the score's).
    let floor = 1.0 / num_classes as f64;
    (predicted, (floor + (1.0 - floor) * score) as f32)
}

/// Builds the demo world; the same options always give the same world.
pub fn generate(options: &DemoOptions) -> Demo {
    generate_world(&demo_classes(), options)
}

/// Builds a world of the given classes (tests plant their own); deterministic.
pub fn generate_world(specs: &[ClassSpec], options: &DemoOptions) -> Demo {
    let mut rng = Rng::new(options.seed);
    let dim = options.dim;
    let concepts = Concepts::new(&mut rng, dim, specs.len());
    let noise = 0.8 / (dim as f64).sqrt();
    let num_classes = specs.len();

    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut predictions = Vec::new();
    let mut correct = Vec::new();
    let mut splits = Vec::new();
    let mut confidence = Vec::new();
    let mut images = Vec::new();
    let mut truth = Vec::new();
    // The retrained model draws from its own stream, so the world before is the same with it.
    let mut after_rng = Rng::new(options.seed ^ 0xAF7E_12ED);
    let (mut after_predictions, mut after_correct, mut after_confidence) =
        (Vec::new(), Vec::new(), Vec::new());
    for (split, &count) in Split::ALL.iter().zip(&options.per_split) {
        for (class, spec) in specs.iter().enumerate() {
            for _ in 0..count {
                let colour = rng.below(COLOURS.len());
                let context = rng.below(CONTEXTS.len());
                let draw = rng.uniform();
                let quality = if draw < spec.quality_rates[0] {
                    Some(0)
                } else if draw < spec.quality_rates[0] + spec.quality_rates[1] {
                    Some(1)
                } else {
                    None
                };
                let look = Look {
                    class: class as u32,
                    colour,
                    context,
                    quality,
                };
                let mut v = concepts.compose(
                    &concepts.image_offset,
                    class,
                    Some(colour),
                    Some(context),
                    quality,
                );
                v.iter_mut().for_each(|x| *x += noise * rng.normal());
                values.extend(normalised(&v));
                let wrong = rng.uniform() < error_probability(spec.planted, &look);
                let (predicted, p) = outcome(&mut rng, class, num_classes, wrong);
                let wrong_after = after_rng.uniform() < error_probability_after(spec, &look);
                let (predicted_after, p_after) =
                    outcome(&mut after_rng, class, num_classes, wrong_after);
                let row = labels.len();
                let labelled = *split != Split::Pool;
                labels.push(labelled.then_some(class as u32));
                predictions.push(Some(predicted as u32));
                correct.push(labelled.then_some(!wrong));
                after_predictions.push(Some(predicted_after as u32));
                after_correct.push(labelled.then_some(!wrong_after));
                splits.push(*split);
                confidence.push(if labelled { p } else { f32::NAN });
                after_confidence.push(if labelled { p_after } else { f32::NAN });
                let has_image = matches!(split, Split::Test | Split::Pool);
                images.push(
                    has_image.then(|| PathBuf::from(format!("images/{}/{row}.png", split.name()))),
                );
                truth.push(look);
            }
        }
    }

    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let captions = caption_bank(&concepts, &names, &mut rng, dim);
    let text = DemoText {
        concepts: concepts.clone(),
        names: names.clone(),
    };
    let dataset = Dataset {
        source: PathBuf::from("<demo>"),
        embeddings: Embeddings::from_vec(dim, values),
        labels,
        predictions: Some(predictions),
        correct,
        splits,
        split_source: SplitSource::Column {
            name: "split".into(),
        },
        confidence: Some(confidence),
        images: Some(images),
        ids: Ids::RowNumbers,
        class_names: names,
        row_index: Default::default(),
    };
    let after = Dataset {
        predictions: Some(after_predictions),
        correct: after_correct,
        confidence: Some(after_confidence),
        row_index: Default::default(),
        ..dataset.clone()
    };
    Demo {
        dataset,
        after,
        captions,
        truth,
        text,
        classes: specs.to_vec(),
    }
}

/// Captions "a photo of a {colour} {class} {context}", the partial forms, and "a blurry photo
/// of a {class}" / "a close-up photo of a {class}", per class.
fn caption_bank(concepts: &Concepts, names: &[String], rng: &mut Rng, dim: usize) -> CaptionBank {
    let noise = 0.1 / (dim as f64).sqrt();
    let mut texts = Vec::new();
    let mut classes = Vec::new();
    let mut values = Vec::new();
    for (class, name) in names.iter().enumerate() {
        let mut push = |text: String,
                        colour: Option<usize>,
                        context: Option<usize>,
                        quality: Option<usize>,
                        rng: &mut Rng| {
            let mut v = concepts.compose(&concepts.text_offset, class, colour, context, quality);
            v.iter_mut().for_each(|x| *x += noise * rng.normal());
            values.extend(normalised(&v));
            texts.push(text);
            classes.push(Some(class as u32));
        };
        push(format!("a photo of a {name}"), None, None, None, rng);
        for (c, colour) in COLOURS.iter().enumerate() {
            push(
                format!("a photo of a {colour} {name}"),
                Some(c),
                None,
                None,
                rng,
            );
        }
        for (x, context) in CONTEXTS.iter().enumerate() {
            push(
                format!("a photo of a {name} {context}"),
                None,
                Some(x),
                None,
                rng,
            );
        }
        for (q, quality) in QUALITIES.iter().enumerate() {
            push(
                format!("a {quality} photo of a {name}"),
                None,
                None,
                Some(q),
                rng,
            );
        }
        for (c, colour) in COLOURS.iter().enumerate() {
            for (x, context) in CONTEXTS.iter().enumerate() {
                push(
                    format!("a photo of a {colour} {name} {context}"),
                    Some(c),
                    Some(x),
                    None,
                    rng,
                );
            }
        }
    }
    CaptionBank {
        source: PathBuf::from("<demo captions>"),
        texts,
        classes,
        embeddings: Embeddings::from_vec(dim, values),
    }
}
