//! Any bytes as a dataset file (the loader sniffs Parquet / Arrow IPC file / stream): an error
//! is fine, a panic, hang or crash is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_panic_hook();
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["input.parquet", "input.arrow"] {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write");
        let _ = faultline::data::load_dataset(&path, &Default::default());
    }
});

/// faultline catches decoder panics and reports them as corrupt input (`panic_guard`), as in
/// the binary; libfuzzer-sys's hook would abort on those too. With a quiet hook only a panic
/// that escapes faultline reaches libFuzzer (which still reports it as a crash).
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
