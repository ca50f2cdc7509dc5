//! Bench binary: loading a dataset (every column validated, the embedding matrix ready for the
//! fit) and the process's peak memory, read from /proc. One file per run, so peaks don't mix.
//!
//! cargo bench --bench load -- DATA.parquet|DATA.arrow|HF_FOLDER
//! cargo bench --bench load -- META.parquet --embeddings EMB.npy

use faultline::data::{load_dataset, LoadOptions};
use std::time::Instant;

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let embeddings_file = args
        .iter()
        .position(|a| a == "--embeddings")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench --bench load -- DATA.parquet|DATA.arrow|HF_FOLDER [--embeddings EMB.npy]");
        std::process::exit(2);
    };
    let options = LoadOptions {
        embeddings_file,
        ..LoadOptions::default()
    };
    let start = Instant::now();
    let dataset = load_dataset(path.as_ref(), &options).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let seconds = start.elapsed().as_secs_f64();
    let embedding_bytes = (dataset.len() * dataset.dim() * 4) as f64;
    let peak = peak_rss_bytes().unwrap_or(0);
    println!(
        "{{\"tool\": \"faultline load_dataset\", \"file\": \"{path}\", \"rows\": {}, \"dim\": {}, \"seconds\": {seconds:.3}, \"peak_rss_bytes\": {peak}, \"peak_over_embedding_bytes\": {:.2}, \"chunks\": {}}}",
        dataset.len(),
        dataset.dim(),
        peak as f64 / embedding_bytes,
        dataset.embeddings.chunk_count()
    );
}
