//! Bench binary: CLIP image preprocessing throughput (decode, bicubic resize of the shortest side
//! to 224, centre crop, normalise; the same pixels as transformers' PIL processor) on the images
//! of a list CSV, on one thread and on every core. Prints JSON lines like bench/embed_peers.py.
//!
//! cargo bench --bench preprocess -- LIST.csv

use faultline::embed::preprocess::{preprocess_file, ImageConfig};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn paths(list: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(list).expect("the list");
    let base = list.parent().unwrap_or(Path::new("."));
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(|p| base.join(p))
        .collect()
}

fn run(paths: &[PathBuf], threads: usize) -> f64 {
    let config = ImageConfig::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool");
    let start = Instant::now();
    pool.install(|| {
        paths.par_iter().for_each_init(
            || vec![0.0f32; config.tensor_len()],
            |buffer, path| preprocess_file(path, &config, buffer).expect("a readable image"),
        )
    });
    start.elapsed().as_secs_f64()
}

fn main() {
    let Some(list) = std::env::args().skip(1).find(|a| a != "--bench") else {
        eprintln!("usage: cargo bench --bench preprocess -- LIST.csv");
        std::process::exit(2);
    };
    let paths = paths(Path::new(&list));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    run(&paths[..paths.len().min(50)], 1); // warm the page cache
    for threads in [1, cores] {
        let seconds = run(&paths, threads);
        println!(
            "{{\"tool\": \"faultline preprocess, {threads} thread(s)\", \"images\": {}, \"seconds\": {seconds:.3}, \"images_per_second\": {:.1}}}",
            paths.len(),
            paths.len() as f64 / seconds
        );
    }
}
