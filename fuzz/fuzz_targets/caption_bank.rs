//! Any bytes as a caption bank.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_panic_hook();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("captions.parquet");
    std::fs::write(&path, data).expect("write");
    let classes = vec!["dog".to_string(), "cat".to_string()];
    for dim in [4, 256] {
        let _ = faultline::data::captions::load_caption_bank(&path, &classes, dim);
    }
});

/// faultline catches decoder panics and reports them as corrupt input (`panic_guard`), as in
/// the binary; libfuzzer-sys's hook would abort on those too. With a quiet hook only a panic
/// that escapes faultline reaches libFuzzer (which still reports it as a crash).
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
