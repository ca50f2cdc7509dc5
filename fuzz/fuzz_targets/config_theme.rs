//! Any text as a config file (and its keymap), a theme, a preprocessor config and caption
//! templates.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    quiet_panic_hook();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Path::new("fuzz.toml");
    if let Ok(config) = faultline::ui::config::Config::parse(source, text) {
        let _ = config.keymap(source);
    }
    let _ = faultline::ui::theme::Theme::parse(source, text);
    let _ = faultline::embed::preprocess::ImageConfig::parse(text);
    let _ = faultline::embed::captions::expand_templates(text, &["dog".to_string()]);
});

/// faultline catches decoder panics and reports them as corrupt input (`panic_guard`), as in
/// the binary; libfuzzer-sys's hook would abort on those too. With a quiet hook only a panic
/// that escapes faultline reaches libFuzzer (which still reports it as a crash).
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
