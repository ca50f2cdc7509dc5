//! `faultline embed captions`: caption banks from a text file (one caption a line, for every
//! class) or from templates ("a photo of a {colour} {class}" over word lists), embedded with the
//! model's text tower and written in the caption-bank contract (text, embedding, class).

use super::model::{Device, TextModel};
use super::progress::Progress;
use crate::analysis::captions::reference_text;
use crate::error::{Error, Result};
use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in template set (templates/captions.toml).
pub const DEFAULT_TEMPLATES: &str = include_str!("../../templates/captions.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    #[serde(default)]
    words: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    template: Vec<Template>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Template {
    text: String,
}

/// One caption to embed; `class: None` applies to every class.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub text: String,
    pub class: Option<String>,
}

fn placeholders(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in \"{text}\""))?;
        names.push(rest[open + 1..open + close].to_string());
        rest = &rest[open + close + 1..];
    }
    Ok(names)
}

/// Every caption the templates make for `classes`, the reference caption of each class first.
pub fn expand_templates(
    source: &str,
    classes: &[String],
) -> std::result::Result<Vec<Candidate>, String> {
    let file: TemplateFile = toml::from_str(source).map_err(|e| e.to_string())?;
    if file.template.is_empty() {
        return Err("no [[template]] entries".into());
    }
    for (name, words) in &file.words {
        if words.is_empty() {
            return Err(format!("word list '{name}' is empty"));
        }
    }
    let mut out = Vec::new();
    for class in classes {
        let mut seen = HashSet::new();
        let mut push = |text: String| {
            if seen.insert(text.clone()) {
                out.push(Candidate {
                    text,
                    class: Some(class.clone()),
                });
            }
        };
        push(reference_text(class));
        for template in &file.template {
            let names = placeholders(&template.text)?;
            let lists: Vec<(&String, &Vec<String>)> = names
                .iter()
                .filter(|n| n.as_str() != "class")
                .map(|n| {
                    file.words.get_key_value(n).ok_or_else(|| {
                        format!(
                            "template \"{}\" uses {{{n}}}, which no word list defines",
                            template.text
                        )
                    })
                })
                .collect::<std::result::Result<_, _>>()?;
            // Cartesian product over the lists the template names.
            let mut combos: Vec<String> = vec![template.text.replace("{class}", class)];
            for (name, words) in lists {
                let slot = format!("{{{name}}}");
                let slot = slot.as_str();
                combos = combos
                    .iter()
                    .flat_map(|c| words.iter().map(move |w| c.replacen(slot, w, 1)))
                    .collect();
            }
            for text in combos {
                push(english(&text, class));
            }
        }
    }
    Ok(out)
}

/// Words after which a class name is plural ("two dogs").
const QUANTITIES: [&str; 12] = [
    "two",
    "three",
    "four",
    "five",
    "several",
    "many",
    "some",
    "few",
    "multiple",
    "numerous",
    "lots of",
    "a group of",
];

/// A caption made from words put together, made grammatical: "a" before a vowel sound becomes
/// "an" ("an orange dog"), and `class` after a quantity becomes plural ("many dogs").
pub fn english(text: &str, class: &str) -> String {
    let mut out = text.to_string();
    for quantity in QUANTITIES {
        let single = format!("{quantity} {class}");
        if out.contains(&single) {
            out = out.replace(&single, &format!("{quantity} {}", plural(class)));
        }
    }
    let words: Vec<&str> = out.split(' ').collect();
    let mut fixed = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        match *word {
            "a" if vowel_sound(next) => fixed.push("an"),
            "an" if !next.is_empty() && !vowel_sound(next) => fixed.push("a"),
            w => fixed.push(w),
        }
    }
    fixed.join(" ")
}

fn vowel_sound(word: &str) -> bool {
    let lower = word.to_lowercase();
    // Letters that sound like a consonant ("a unicorn", "a one-eyed") or a silent h ("an hour").
    const CONSONANT: [&str; 6] = ["uni", "use", "usu", "eu", "one", "once"];
    const SILENT_H: [&str; 4] = ["hour", "honest", "honour", "heir"];
    if CONSONANT.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    if SILENT_H.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    lower.starts_with(['a', 'e', 'i', 'o', 'u'])
}

/// An English plural of a class name's last word: box -> boxes, city -> cities, dog -> dogs.
/// Names already ending in s are left as they are.
pub fn plural(name: &str) -> String {
    let lower = name.to_lowercase();
    if lower.ends_with('s') {
        return name.to_string();
    }
    if ["x", "z", "ch", "sh"].iter().any(|e| lower.ends_with(e)) {
        return format!("{name}es");
    }
    let mut chars = lower.chars().rev();
    if let (Some('y'), Some(c)) = (chars.next(), chars.next()) {
        if !"aeiou".contains(c) {
            return format!("{}ies", &name[..name.len() - 1]);
        }
    }
    format!("{name}s")
}

/// One caption a line (blank lines and lines starting with '#' skipped), for every class; with
/// class names, each class's reference caption is added. A line with `{class}` is made for each
/// class ("a photo of a {class} at night"); any other `{...}` is an error naming the line (word
/// lists need a .toml template).
pub fn read_caption_lines(
    text: &str,
    classes: &[String],
) -> std::result::Result<Vec<Candidate>, String> {
    let mut out: Vec<Candidate> = classes
        .iter()
        .map(|c| Candidate {
            text: reference_text(c),
            class: Some(c.clone()),
        })
        .collect();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let names = placeholders(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        if let Some(other) = names.iter().find(|n| n.as_str() != "class") {
            return Err(format!(
                "line {}: {{{other}}} is not expanded in a .txt file; only {{class}} is (use a .toml template for word lists)",
                number + 1
            ));
        }
        if names.is_empty() {
            out.push(Candidate {
                text: line.to_string(),
                class: None,
            });
            continue;
        }
        if classes.is_empty() {
            return Err(format!(
                "line {} uses {{class}}: pass --classes FILE or --dataset DATA",
                number + 1
            ));
        }
        for class in classes {
            out.push(Candidate {
                text: english(&line.replace("{class}", class), class),
                class: Some(class.clone()),
            });
        }
    }
    Ok(out)
}

pub struct CaptionJob {
    pub model: PathBuf,
    /// A .txt file, a .toml template file, or None for the built-in templates.
    pub input: Option<PathBuf>,
    pub out: PathBuf,
    pub classes: Vec<String>,
    pub batch_size: usize,
    pub device: Device,
    pub threads: Option<usize>,
    pub quiet: bool,
}

pub struct CaptionSummary {
    pub out: PathBuf,
    pub captions: usize,
    pub dim: usize,
    pub captions_per_second: f64,
}

pub fn candidates(job: &CaptionJob) -> Result<Vec<Candidate>> {
    let (source, path): (String, Option<&Path>) = match &job.input {
        None => (DEFAULT_TEMPLATES.to_string(), None),
        Some(path) => (
            crate::files::read_to_string(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => Error::input(path, "not UTF-8 text"),
                _ => Error::io(path, e),
            })?,
            Some(path.as_path()),
        ),
    };
    let is_template = path.is_none_or(|p| p.extension().is_some_and(|e| e == "toml"));
    let found = if is_template {
        if job.classes.is_empty() {
            return Err(Error::usage(
                "templates need class names: pass --classes FILE or --dataset DATA",
            ));
        }
        expand_templates(&source, &job.classes).map_err(|message| match path {
            Some(p) => Error::input(p, message),
            None => Error::Internal(format!("the built-in templates: {message}")),
        })?
    } else {
        let path = path.expect("a .txt file has a path");
        read_caption_lines(&source, &job.classes).map_err(|message| Error::input(path, message))?
    };
    if found.is_empty() {
        return Err(Error::input(
            path.unwrap_or(Path::new("<templates>")),
            "no captions in it",
        ));
    }
    Ok(found)
}

pub fn run(job: &CaptionJob) -> Result<CaptionSummary> {
    if job.batch_size == 0 {
        return Err(Error::usage("--batch-size must be at least 1"));
    }
    crate::files::output_folder(&job.out)?;
    let found = candidates(job)?;
    let model = TextModel::open(&job.model, job.device, job.threads)?;
    let mut progress = Progress::new("captions", found.len(), 0, job.quiet);
    let mut values = Vec::with_capacity(found.len() * 512);
    let mut dim = 0;
    for batch in found.chunks(job.batch_size) {
        let texts: Vec<String> = batch.iter().map(|c| c.text.clone()).collect();
        let (embedded, d) = model.embed(&texts)?;
        dim = d;
        values.extend(embedded);
        progress.advance(batch.len());
    }
    progress.finish();
    let (embedding_field, embedding) = crate::data::write::embedding_column(values, dim)?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            found.iter().map(|c| c.text.as_str()),
        )),
        embedding,
        Arc::new(StringArray::from_iter(
            found.iter().map(|c| c.class.as_deref()),
        )),
    ];
    let schema = Schema::new(vec![
        Field::new("text", DataType::Utf8, false),
        embedding_field,
        Field::new("class", DataType::Utf8, true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), columns)
        .map_err(|e| Error::Internal(e.to_string()))?;
    crate::data::write::write_parquet(&job.out, &batch)?;
    Ok(CaptionSummary {
        out: job.out.clone(),
        captions: found.len(),
        dim,
        captions_per_second: progress.rate(),
    })
}

#[cfg(test)]
mod grammar_tests {
    use super::*;

    #[test]
    fn articles_and_plurals_agree() {
        assert_eq!(
            english("a photo of a orange square", "square"),
            "a photo of an orange square"
        );
        assert_eq!(
            english("a photo of two square", "square"),
            "a photo of two squares"
        );
        assert_eq!(
            english("a photo of many box", "box"),
            "a photo of many boxes"
        );
        assert_eq!(
            english("a photo of several puppy", "puppy"),
            "a photo of several puppies"
        );
        assert_eq!(
            english("a photo of a umbrella", "umbrella"),
            "a photo of an umbrella"
        );
        assert_eq!(
            english("a photo of a unicorn", "unicorn"),
            "a photo of a unicorn"
        );
        assert_eq!(english("a photo of an dog", "dog"), "a photo of a dog");
        assert_eq!(english("a photo of two bus", "bus"), "a photo of two bus");
        assert_eq!(plural("key"), "keys");
    }

    #[test]
    fn class_placeholders_in_a_text_file_are_expanded_per_class() {
        let classes = vec!["dog".to_string(), "owl".to_string()];
        let out =
            read_caption_lines("a photo of a {class} at night\nin the rain\n", &classes).unwrap();
        let texts: Vec<(&str, Option<&str>)> = out
            .iter()
            .map(|c| (c.text.as_str(), c.class.as_deref()))
            .collect();
        assert!(texts.contains(&("a photo of a dog at night", Some("dog"))));
        assert!(texts.contains(&("a photo of an owl at night", Some("owl"))));
        assert!(texts.contains(&("in the rain", None)));
        let err = read_caption_lines("ok\na {colour} {class}\n", &classes).unwrap_err();
        assert!(err.starts_with("line 2: {colour} is not expanded"), "{err}");
        assert!(read_caption_lines("a {class}", &[]).is_err());
    }

    #[test]
    fn the_built_in_templates_make_grammatical_captions() {
        let out = expand_templates(DEFAULT_TEMPLATES, &["square".into()]).unwrap();
        let texts: Vec<&str> = out.iter().map(|c| c.text.as_str()).collect();
        assert!(texts.contains(&"a photo of an orange square"), "{texts:?}");
        assert!(texts.contains(&"a photo of two squares"), "{texts:?}");
        assert!(!texts
            .iter()
            .any(|t| t.contains(" a orange") || t.contains("two square ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_every_combination_with_the_reference_first() {
        let source = r#"
            [words]
            colour = ["white", "black"]
            setting = ["in the snow", "at night"]
            [[template]]
            text = "a photo of a {colour} {class} {setting}"
        "#;
        let out = expand_templates(source, &["dog".into()]).unwrap();
        let texts: Vec<&str> = out.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "a photo of a dog",
                "a photo of a white dog in the snow",
                "a photo of a white dog at night",
                "a photo of a black dog in the snow",
                "a photo of a black dog at night"
            ]
        );
        assert!(out.iter().all(|c| c.class.as_deref() == Some("dog")));
    }

    #[test]
    fn template_errors_name_the_problem() {
        let unknown = "[[template]]\ntext = \"a {size} {class}\"";
        assert!(expand_templates(unknown, &["x".into()])
            .unwrap_err()
            .contains("{size}"));
        assert!(expand_templates(
            "[words]\na = []\n[[template]]\ntext = \"{class}\"",
            &["x".into()]
        )
        .unwrap_err()
        .contains("empty"));
        assert!(expand_templates("bogus = 1", &["x".into()]).is_err());
    }

    #[test]
    fn the_built_in_templates_expand() {
        let out = expand_templates(DEFAULT_TEMPLATES, &["dog".into(), "cat".into()]).unwrap();
        assert!(out.len() > 100);
        assert!(out.iter().any(|c| c.text == "a photo of a dog in the snow"));
        assert!(out.iter().any(|c| c.text == "a photo of a white cat"));
    }

    #[test]
    fn caption_lines_apply_to_every_class() {
        let out =
            read_caption_lines("# comment\na red car\n\nat night\n", &["car".into()]).unwrap();
        assert_eq!(out[0].text, "a photo of a car");
        assert_eq!(out[1].class, None);
        assert_eq!(out.len(), 3);
    }
}
