//! Bench binary: loading a dataset (every column validated, the embedding matrix ready for the
//! fit) and the process's peak memory, read from /proc. One file per run, so peaks don't mix.
//!
//! cargo bench --bench load -- DATA.parquet|DATA.arrow

use faultline::data::{load_dataset, LoadOptions};
use std::time::Instant;

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| a != "--bench") else {
        eprintln!("usage: cargo bench --bench load -- DATA.parquet|DATA.arrow");
        std::process::exit(2);
    };
    let start = Instant::now();
    let dataset = load_dataset(path.as_ref(), &LoadOptions::default()).unwrap_or_else(|e| {
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
