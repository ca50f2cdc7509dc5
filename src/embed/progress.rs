//! A progress line on stderr: count, rate and ETA. Redrawn in place on a terminal, a plain line
//! every few seconds otherwise (logs of batch jobs stay readable).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    /// Items done before this run (a resumed job), not counted in the rate.
    resumed: usize,
    start: Instant,
    last: Option<Instant>,
    terminal: bool,
    quiet: bool,
}

fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Progress {
    pub fn new(what: &'static str, total: usize, resumed: usize, quiet: bool) -> Progress {
        Progress {
            what,
            total,
            done: resumed,
            resumed,
            start: Instant::now(),
            last: None,
            terminal: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    pub fn advance(&mut self, n: usize) {
        self.done += n;
        let interval = if self.terminal {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(10)
        };
        if self.last.is_none_or(|t| t.elapsed() >= interval) || self.done >= self.total {
            self.draw();
        }
    }

    /// Items per second in this run.
    pub fn rate(&self) -> f64 {
        let elapsed = self.start.elapsed().as_secs_f64().max(1e-9);
        (self.done - self.resumed) as f64 / elapsed
    }

    pub fn line(&self) -> String {
        let rate = self.rate();
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 {
            duration(left as f64 / rate)
        } else {
            "?".into()
        };
        let percent = if self.total == 0 {
            100.0
        } else {
            100.0 * self.done as f64 / self.total as f64
        };
        format!(
            "{} {}/{} ({percent:.1}%) · {rate:.1}/s · ETA {eta}",
            self.what, self.done, self.total
        )
    }

    fn draw(&mut self) {
        self.last = Some(Instant::now());
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{}", self.line());
        } else {
            let _ = writeln!(err, "{}", self.line());
        }
        let _ = err.flush();
    }

    /// Ends the line on a terminal.
    pub fn finish(&mut self) {
        if !self.quiet && self.terminal && self.last.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}
