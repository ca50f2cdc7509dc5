//! The real binary in a real terminal (tmux): it starts, draws, answers keys, and quits with the
//! terminal restored (alternate screen left, exit status 0).

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `command` in a detached session named fl, tmux reading `config` first.
    fn start_with_config(&self, config: &std::path::Path, width: u16, height: u16, command: &str) {
        let (width, height) = (width.to_string(), height.to_string());
        self.run(&[
            "-f",
            config.to_str().unwrap(),
            "new-session",
            "-d",
            "-s",
            "fl",
            "-x",
            &width,
            "-y",
            &height,
            command,
        ]);
    }

    /// Runs `command` in a detached 120x36 session named fl.
    fn start(&self, command: &str) {
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "fl",
            "-x",
            "120",
            "-y",
            "36",
            command,
        ]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "fl"])
    }

    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "'{text}' never appeared:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// These tests need tmux: without it they fail (never pass by skipping). scripts/test.sh, which
/// CI runs, installs it.
fn require_tmux() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is needed for the terminal tests: apt-get install tmux (scripts/test.sh does)"
    );
}

/// The shell command of a tmux session: the explorer on the demo with its state in `state`,
/// `env` set, then `after` (which reports how it ended).
fn explorer_session(state: &std::path::Path, env: &str, after: &str) -> String {
    explorer_with_protocol(state, env, "halfblocks", after)
}

fn explorer_with_protocol(
    state: &std::path::Path,
    env: &str,
    protocol: &str,
    after: &str,
) -> String {
    format!(
        "FAULTLINE_CACHE_DIR={dir} FAULTLINE_STATE_DIR={dir} {env} TERM=xterm-256color {bin} demo --image-protocol {protocol} --config /dev/null{after}",
        dir = state.display(),
        bin = env!("CARGO_BIN_EXE_faultline"),
    )
}

#[test]
fn explorer_runs_in_a_terminal_and_restores_it() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("faultline-test-{}", std::process::id()),
    };
    let command = explorer_session(state.path(), "", "; echo EXIT=$?; sleep 30");
    tmux.start(&command);
    let screen = tmux.wait_for("✓");
    assert!(
        screen.contains("Classes") && screen.contains("Examples"),
        "{screen}"
    );
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "fl", "#{alternate_on}"])
            .trim(),
        "1"
    );

    tmux.run(&["send-keys", "-t", "fl", "/", "c", "a", "t", "Enter"]);
    let screen = tmux.wait_for("…white cat on the grass");
    assert!(screen.contains("/cat"), "{screen}");
    // The demo's own text side scores a typed caption (no CLIP model needed).
    tmux.run(&["send-keys", "-t", "fl", "c"]);
    tmux.wait_for("Score a caption");
    tmux.run(&["send-keys", "-t", "fl", "-l", "a photo of a white cat"]);
    tmux.run(&["send-keys", "-t", "fl", "Enter"]);
    let screen = tmux.wait_for("yours ");
    assert!(screen.contains("…white cat ("), "{screen}");
    tmux.run(&["send-keys", "-t", "fl", "?"]);
    tmux.wait_for("search classes");
    // Closing help with `?` (an Esc followed at once by q would read as alt-q).
    tmux.run(&["send-keys", "-t", "fl", "?"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.run(&["send-keys", "-t", "fl", "q"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "fl", "#{alternate_on}"])
            .trim(),
        "0",
        "alternate screen left"
    );
}

/// The shared entry on top, then a class with several modes: `m` steps through them, in the
/// real binary with real keys.
#[test]
fn modes_step_with_m_and_the_shared_entry_leads() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("faultline-modes-{}", std::process::id()),
    };
    let command = explorer_session(state.path(), "", "; echo EXIT=$?; sleep 30");
    tmux.start(&command);
    // The first entry: failures shared across classes, named by their caption.
    let screen = tmux.wait_for("shared 1/1: a blurry photo of a {class}");
    assert!(screen.contains("◆  shared (1)"), "{screen}");
    // The check pane fills in when the shared findings' worker is done (later on a busy machine).
    tmux.wait_for("shared mode 1 of 1: 3 classes");
    tmux.run(&["send-keys", "-t", "fl", "/", "w", "o", "l", "f", "Enter"]);
    let screen = tmux.wait_for("blends modes 2 and 3");
    assert!(screen.contains("mode 1/3"), "{screen}");
    tmux.run(&["send-keys", "-t", "fl", "m"]);
    let screen = tmux.wait_for("mode 2 of 3:");
    assert!(screen.contains("…black wolf"), "{screen}");
    tmux.run(&["send-keys", "-t", "fl", "m"]);
    let screen = tmux.wait_for("mode 3 of 3:");
    assert!(screen.contains("a close-up photo of a wolf"), "{screen}");
    tmux.run(&["send-keys", "-t", "fl", "m"]);
    tmux.wait_for("mode 1 of 3:");
    tmux.run(&["send-keys", "-t", "fl", "q"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// With the default `--image-protocol auto` inside tmux (passthrough on, so the capability query
/// goes to an outer terminal that, detached, never answers), a key pressed at once is not eaten
/// by the query: `q` typed before the first frame quits.
#[test]
fn the_first_key_counts_while_the_terminal_is_asked() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("tmux.conf");
    std::fs::write(&config, "set -g allow-passthrough on\n").unwrap();
    let tmux = Tmux {
        socket: format!("faultline-first-key-{}", std::process::id()),
    };
    let command = explorer_with_protocol(
        state.path(),
        "TMUX_PANE=",
        "auto",
        "; echo EXIT=$?; sleep 30",
    );
    tmux.start_with_config(&config, 120, 36, &command);
    assert_eq!(tmux.run(&["show", "-gv", "allow-passthrough"]).trim(), "on");
    tmux.run(&["send-keys", "-t", "fl", "q"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// `faultline doctor` inside tmux names tmux, its passthrough setting and the protocol, and
/// says what to change when passthrough is off.
#[test]
fn doctor_reports_tmux_and_what_to_change() {
    require_tmux();
    for (setting, expected) in [
        ("on", "allow-passthrough on"),
        ("off", "tmux set -g allow-passthrough on"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("tmux.conf");
        std::fs::write(&config, format!("set -g allow-passthrough {setting}\n")).unwrap();
        let tmux = Tmux {
            socket: format!("faultline-doctor-{}-{setting}", std::process::id()),
        };
        let command = format!(
            "TERM=tmux-256color {} doctor; echo EXIT=$?; sleep 30",
            env!("CARGO_BIN_EXE_faultline")
        );
        tmux.start_with_config(&config, 160, 40, &command);
        let screen = tmux.wait_for("EXIT=");
        assert!(screen.contains("EXIT=0"), "{screen}");
        assert!(screen.contains("tmux              tmux 3"), "{screen}");
        assert!(screen.contains(expected), "passthrough {setting}: {screen}");
        assert!(screen.contains("image protocol"), "{screen}");
    }
}

/// The terminal modes of the pane, as tmux tracks them from what the program wrote.
fn modes(tmux: &Tmux) -> String {
    tmux.run(&[
        "display",
        "-p",
        "-t",
        "fl",
        "alt=#{alternate_on} mouse=#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_all_flag} cursor=#{cursor_flag}",
    ])
    .trim()
    .to_string()
}

#[test]
fn a_signal_from_outside_restores_the_terminal() {
    require_tmux();
    for (signal, name) in [(15, "TERM"), (2, "INT"), (1, "HUP")] {
        let state = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: format!("faultline-signal-{}-{name}", std::process::id()),
        };
        let command = explorer_session(state.path(), "", AFTER_EXIT);
        tmux.start(&command);
        tmux.wait_for("✓");
        assert!(
            modes(&tmux).starts_with("alt=1 mouse=1"),
            "{}",
            modes(&tmux)
        );
        let shell = tmux.run(&["display", "-p", "-t", "fl", "#{pane_pid}"]);
        let pgrep = Command::new("pgrep")
            .args(["-P", shell.trim(), "faultline"])
            .output()
            .expect("pgrep runs");
        let pid = String::from_utf8_lossy(&pgrep.stdout).trim().to_string();
        assert!(!pid.is_empty(), "faultline's pid not found");
        Command::new("kill")
            .args([format!("-{name}"), pid])
            .status()
            .unwrap();
        let screen = tmux.wait_for(":STTY");
        assert!(
            screen.contains(&format!("EXIT={}", 128 + signal)),
            "SIG{name}: {screen}"
        );
        assert!(
            screen.contains("STTY: icanon echo :STTY"),
            "SIG{name}: the tty is still raw: {screen}"
        );
        assert_eq!(
            modes(&tmux),
            "alt=0 mouse=0000 cursor=1",
            "SIG{name}: the terminal was not restored"
        );
    }
}

/// After faultline ends: its status, then the tty's modes (raw mode off means icanon and echo
/// are back).
const AFTER_EXIT: &str = " 2>/dev/null; echo EXIT=$?; echo STTY: $(stty -a | tr ' ' '\\n' | grep -E -x -- '-?(icanon|echo)') :STTY; sleep 30";

/// A panic inside the explorer (exit 101) restores the terminal as a signal does.
#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "panics through a test hook: cargo test --features test-hooks (scripts/test.sh)"
)]
fn a_panic_restores_the_terminal() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("faultline-panic-{}", std::process::id()),
    };
    let command = explorer_session(
        state.path(),
        "FAULTLINE_TEST_PANIC_AFTER_DRAW=1",
        AFTER_EXIT,
    );
    tmux.start(&command);
    let screen = tmux.wait_for(":STTY");
    assert!(screen.contains("EXIT=101"), "panic: {screen}");
    assert!(
        screen.contains("STTY: icanon echo :STTY"),
        "panic: the tty is still raw: {screen}"
    );
    assert_eq!(
        modes(&tmux),
        "alt=0 mouse=0000 cursor=1",
        "panic: not restored"
    );
}

/// `demo --diff` opens the explorer in comparison mode: verdicts in the class list, both
/// models' outcomes on a class's hard rows, and the check before and after, with real keys.
#[test]
fn demo_diff_opens_the_comparison_and_quits_cleanly() {
    require_tmux();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux {
        socket: format!("faultline-diff-{}", std::process::id()),
    };
    let command = explorer_session(state.path(), "", "; echo EXIT=$?; sleep 30").replacen(
        " demo ",
        " demo --diff ",
        1,
    );
    tmux.start(&command);
    let screen = tmux.wait_for("regressed");
    assert!(screen.contains("Classes · by verdict"), "{screen}");
    assert!(screen.contains("bef  aft  verdict"), "{screen}");
    assert!(screen.contains("new"), "{screen}");
    // Down to the regressed class: the check says so and shows both gaps.
    tmux.run(&["send-keys", "-t", "fl", "j"]);
    let screen = tmux.wait_for("before → after: regressed");
    assert!(screen.contains("after pred"), "{screen}");
    assert!(screen.contains("gap 70 → 90 points"), "{screen}");
    tmux.run(&["send-keys", "-t", "fl", "/", "d", "o", "g", "Enter"]);
    tmux.wait_for("before → after: fixed");
    tmux.run(&["send-keys", "-t", "fl", "q"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "fl", "#{alternate_on}"])
            .trim(),
        "0",
        "alternate screen left"
    );
}

/// A new user's path from README: embeddings they already have as a NumPy file beside a CSV of
/// labels and predictions, opened in the explorer in a real terminal, then shared as the HTML
/// page with the pictures.
#[test]
fn numpy_embeddings_open_in_the_explorer_and_make_the_html_page() {
    use faultline::data::{load_dataset, LoadOptions};
    require_tmux();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let bin = env!("CARGO_BIN_EXE_faultline");
    let wrote = Command::new(bin)
        .args(["demo", "--write", dir.path().to_str().unwrap()])
        .env("FAULTLINE_CACHE_DIR", &state)
        .output()
        .unwrap();
    assert!(wrote.status.success());
    // The same rows as emb.npy + meta.csv, as `np.save` and pandas would write them.
    let d = load_dataset(&dir.path().join("demo.parquet"), &LoadOptions::default()).unwrap();
    let values: Vec<f32> = (0..d.len())
        .flat_map(|r| d.embeddings.row(r).to_vec())
        .collect();
    std::fs::write(
        dir.path().join("emb.npy"),
        crate::common::npy_f32(d.len(), d.embeddings.dim(), &values),
    )
    .unwrap();
    let name =
        |class: Option<u32>| class.map_or(String::new(), |c| d.class_names[c as usize].clone());
    let mut csv = String::from("label,prediction,split,image\n");
    for row in 0..d.len() {
        let image = d
            .image(row)
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .unwrap_or_default();
        csv.push_str(&format!(
            "{},{},{},{image}\n",
            name(d.labels[row]),
            name(d.predictions.as_ref().unwrap()[row]),
            d.splits[row].name()
        ));
    }
    std::fs::write(dir.path().join("meta.csv"), csv).unwrap();

    let tmux = Tmux {
        socket: format!("faultline-test-npy-{}", std::process::id()),
    };
    tmux.start(&format!(
        "cd {dir} && FAULTLINE_CACHE_DIR={state} FAULTLINE_STATE_DIR={state} TERM=xterm-256color {bin} explore --embeddings emb.npy meta.csv --image-protocol halfblocks --config /dev/null; echo EXIT=$?; sleep 30",
        dir = dir.path().display(),
        state = state.display(),
    ));
    let screen = tmux.wait_for("✓");
    assert!(
        screen.contains("Classes") && screen.contains("dog"),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", "fl", "q"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");

    let page = dir.path().join("report.html");
    let shared = Command::new(bin)
        .current_dir(dir.path())
        .args([
            "report",
            "meta.csv",
            "--embeddings",
            "emb.npy",
            "--format",
            "html",
            "--out",
        ])
        .arg(&page)
        .env("FAULTLINE_CACHE_DIR", &state)
        .output()
        .unwrap();
    assert!(
        shared.status.success(),
        "{}",
        String::from_utf8_lossy(&shared.stderr)
    );
    let page = std::fs::read_to_string(page).unwrap();
    assert!(page.contains("<h2>dog</h2>"));
    assert!(page.matches("<img src=\"data:image/jpeg;base64,").count() >= 9 * 20);
    assert!(!page.contains("class=\"missing\""), "every picture found");
}
