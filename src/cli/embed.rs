//! `faultline embed images|captions`: CLIP embeddings with ONNX Runtime.

use crate::data::{load_dataset, read_class_names, LoadOptions};
use crate::embed::captions::{self, CaptionJob};
use crate::embed::images::{self, ImageJob, Shard};
use crate::embed::model::Device;
use crate::error::{Error, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  faultline embed images   --model clip/ --input predictions.csv --out data.parquet
  faultline embed captions --model clip/ --dataset data.parquet  --out captions.parquet
  faultline embed templates > my_templates.toml

A CLIP model folder holds vision_model.onnx and text_model.onnx (or one model.onnx),
tokenizer.json and preprocessor_config.json, as exported by optimum or found on the Hub.")]
pub struct EmbedArgs {
    #[command(subcommand)]
    pub what: EmbedCommand,
}

#[derive(Subcommand, Debug)]
pub enum EmbedCommand {
    /// Embed images listed in a CSV/Parquet file (column `image`) or found in a folder
    #[command(after_help = "Examples:
  faultline embed images --model clip/ --input predictions.csv --out data.parquet
  faultline embed images --model clip/ --input imagenet/ --out data.parquet
  faultline embed images --model clip/ --input list.parquet --shard 3/8 --out shards/

The list's other columns (label, prediction, split, confidence, id, ...) are carried through.
A folder in ImageFolder layout (split/class/file or class/file) fills split and label.
Interrupted runs resume: run the same command again.")]
    Images(ImageArgs),
    /// Embed captions: a text file (one a line), a templates .toml, or the built-in templates
    #[command(after_help = "Examples:
  faultline embed captions --model clip/ --dataset data.parquet --out captions.parquet
  faultline embed captions --model clip/ --input my_templates.toml --classes classes.txt --out captions.parquet
  faultline embed captions --model clip/ --input captions.txt --out captions.parquet
  faultline embed templates > my_templates.toml

Without --input the built-in templates are used; `faultline embed templates` prints them to edit.
In a captions.txt line, {class} is replaced by each class name.")]
    Captions(CaptionArgs),
    /// Print the built-in caption templates: a .toml file to edit and pass to `captions --input`
    Templates,
}

/// `--device`, as the command line names it (clap stays out of `embed`, as with `BiasArg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
}

impl From<DeviceArg> for Device {
    fn from(arg: DeviceArg) -> Device {
        match arg {
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Cuda => Device::Cuda,
        }
    }
}

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// CLIP model folder: vision_model.onnx + text_model.onnx (or model.onnx), tokenizer.json,
    /// preprocessor_config.json (in the folder or its onnx/ subfolder)
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// ONNX Runtime library (default: ORT_DYLIB_PATH, beside the binary, or the active Python's
    /// onnxruntime package)
    #[arg(long, value_name = "FILE")]
    pub ort_lib: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Items per model call
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// ONNX Runtime threads (default: all cores)
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress line
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ImageArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A CSV/TSV/Parquet list with an `image` column, or a folder of images
    #[arg(long, value_name = "LIST|DIR")]
    pub input: PathBuf,
    /// Output Parquet file (with --shard, a folder gets part-I-of-N.parquet)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Take the I-th of N contiguous slices of the list (0-based), e.g. 0/4
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Rows written per resumable chunk
    #[arg(long, default_value_t = 8192)]
    pub chunk_rows: usize,
    /// Stop at the first unreadable image (default: report it, skip it, go on)
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
pub struct CaptionArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// captions.txt (one a line, for every class) or templates.toml; default: built-in templates
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Output Parquet caption bank
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Class names, one per line
    #[arg(long, value_name = "FILE", conflicts_with = "dataset")]
    pub classes: Option<PathBuf>,
    /// Take the class names from this dataset
    #[arg(long, value_name = "DATA")]
    pub dataset: Option<PathBuf>,
}

/// The explorer's text model for typed captions.
#[derive(Args, Debug, Clone)]
pub struct TextModelArgs {
    /// CLIP model folder, to type your own captions in the explorer (key c)
    #[arg(long = "model", value_name = "DIR", required = false)]
    pub model_dir: PathBuf,
    /// ONNX Runtime library for --model
    #[arg(long, value_name = "FILE")]
    pub ort_lib: Option<PathBuf>,
}

/// Loads the text tower on the explorer's worker thread, on first use.
pub fn open_text_model(args: TextModelArgs) -> crate::ui::typed_caption::OpenEmbedder {
    Box::new(move || {
        crate::embed::runtime::init(args.ort_lib.as_deref()).map_err(|e| e.to_string())?;
        let model = crate::embed::model::TextModel::open(&args.model_dir, Device::Cpu, None)
            .map_err(|e| e.to_string())?;
        let embed: crate::ui::typed_caption::Embedder = Box::new(move |texts: &[String]| {
            let (values, dim) = model.embed(texts).map_err(|e| e.to_string())?;
            Ok(values.chunks(dim).map(<[f32]>::to_vec).collect())
        });
        Ok(embed)
    })
}

pub fn embed_command(args: EmbedArgs) -> Result<()> {
    match args.what {
        EmbedCommand::Images(args) => images_command(args),
        EmbedCommand::Captions(args) => captions_command(args),
        EmbedCommand::Templates => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(captions::DEFAULT_TEMPLATES.as_bytes())
                .and_then(|()| out.flush())
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::BrokenPipe => Ok(()),
                    _ => Err(e),
                })
                .map_err(Error::Stdout)
        }
    }
}

fn images_command(args: ImageArgs) -> Result<()> {
    crate::embed::runtime::init(args.model.ort_lib.as_deref())?;
    let job = ImageJob {
        model: args.model.model,
        input: args.input,
        out: args.out,
        batch_size: args.model.batch_size,
        chunk_rows: args.chunk_rows,
        shard: args.shard,
        strict: args.strict,
        device: args.model.device.into(),
        threads: args.model.threads,
        quiet: args.model.quiet,
    };
    let summary = images::run(&job)?;
    crate::text::message(&format!(
        "wrote {} ({} of {} images embedded, d = {}, {:.1} images/s{}){}",
        summary.out.display(),
        summary.embedded,
        summary.rows,
        summary.dim,
        summary.images_per_second,
        if summary.resumed > 0 {
            format!(", {} rows from an earlier run", summary.resumed)
        } else {
            String::new()
        },
        if summary.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} unreadable images skipped (listed above)",
                summary.skipped.len()
            )
        }
    ));
    Ok(())
}

fn captions_command(args: CaptionArgs) -> Result<()> {
    crate::embed::runtime::init(args.model.ort_lib.as_deref())?;
    let classes = match (&args.classes, &args.dataset) {
        (Some(path), _) => read_class_names(path)?,
        (None, Some(data)) => load_dataset(data, &LoadOptions::default())?.class_names,
        (None, None) => Vec::new(),
    };
    if args.input.is_none() && classes.is_empty() {
        return Err(Error::usage(
            "the built-in templates need class names: pass --classes FILE or --dataset DATA",
        ));
    }
    let job = CaptionJob {
        model: args.model.model,
        input: args.input,
        out: args.out,
        classes,
        batch_size: args.model.batch_size,
        device: args.model.device.into(),
        threads: args.model.threads,
        quiet: args.model.quiet,
    };
    let summary = captions::run(&job)?;
    crate::text::message(&format!(
        "wrote {} ({} captions, d = {}, {:.0} captions/s)",
        summary.out.display(),
        summary.captions,
        summary.dim,
        summary.captions_per_second
    ));
    Ok(())
}
