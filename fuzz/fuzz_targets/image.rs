//! Any bytes as an image file through CLIP preprocessing (PNG, JPEG via libjpeg-turbo, WebP).
#![no_main]
use faultline::embed::preprocess::{preprocess_file, ImageConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_panic_hook();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("image");
    std::fs::write(&path, data).expect("write");
    let config = ImageConfig {
        shortest_edge: Some(32),
        crop_width: 32,
        crop_height: 32,
        ..ImageConfig::default()
    };
    let mut out = vec![0.0f32; config.tensor_len()];
    let _ = preprocess_file(&path, &config, &mut out);
});

/// faultline catches decoder panics and reports them as corrupt input (`panic_guard`), as in
/// the binary; libfuzzer-sys's hook would abort on those too. With a quiet hook only a panic
/// that escapes faultline reaches libFuzzer (which still reports it as a crash).
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
