//! JUnit XML, so CI systems (GitLab, Jenkins, GitHub test reporters) show one test case per
//! class. The layout follows the strictest common schema, the Apache Ant JUnit schema
//! (windyroad's `JUnit.xsd`, which Jenkins' `junit-10.xsd` relaxes): a `testsuites` root whose
//! suites carry `package`, `id`, `name`, `timestamp` (no time zone), `hostname`, `tests`,
//! `failures`, `errors`, `skipped` and `time`, and hold `properties`, the test cases,
//! `system-out` and `system-err` in that order; each test case has `name`, `classname` and
//! `time`, and at most one of `skipped` or `failure` (with its `type`).
//!
//! Text from the data (class names, captions) is escaped for XML, and characters XML cannot
//! hold or a browser would act on (controls, bidi overrides) are written as visible escapes.

use std::fmt::Write;

/// One test case: a class.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub failure: Option<Failure>,
    /// Why the case was not run (a class that could not be fitted).
    pub skipped: Option<String>,
    /// Details shown with the case whatever its outcome.
    pub output: String,
}

#[derive(Debug, Clone)]
pub struct Failure {
    /// One line: what failed.
    pub message: String,
    /// The kind of failure ("regressed", "gap").
    pub kind: String,
}

/// A suite: one faultline run.
#[derive(Debug, Clone)]
pub struct Suite {
    /// "faultline report" or "faultline diff".
    pub name: String,
    /// The Java-style package of the cases ("faultline.diff"): CI systems group by it.
    pub package: String,
    pub cases: Vec<Case>,
    /// Settings worth keeping with the result (dataset path, gate).
    pub properties: Vec<(String, String)>,
    /// Seconds the run took.
    pub seconds: f64,
    /// "2026-12-03T10:41:16", UTC.
    pub timestamp: String,
    pub hostname: String,
}

/// Text for an XML attribute or text node.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if crate::text::is_unsafe(c) || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape(text, &mut out);
    out
}

/// An attribute of type token: no line breaks or tabs, no leading, trailing or double spaces.
fn token(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    escaped(&words.join(" "))
}

pub fn render(suite: &Suite) -> String {
    let failures = suite.cases.iter().filter(|c| c.failure.is_some()).count();
    let skipped = suite
        .cases
        .iter()
        .filter(|c| c.failure.is_none() && c.skipped.is_some())
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let _ = writeln!(
        out,
        "  <testsuite package=\"{}\" id=\"0\" name=\"{}\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
        token(&suite.package),
        token(&suite.name),
        token(&suite.timestamp),
        token(if suite.hostname.trim().is_empty() { "localhost" } else { &suite.hostname }),
        suite.cases.len(),
        suite.seconds.max(0.0),
    );
    out.push_str("    <properties>\n");
    for (name, value) in &suite.properties {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            token(name),
            escaped(value)
        );
    }
    out.push_str("    </properties>\n");
    for case in &suite.cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
            token(&case.name),
            token(&suite.package)
        );
        if let Some(failure) = &case.failure {
            let _ = write!(
                out,
                "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                escaped(&failure.kind),
                escaped(&failure.message),
                escaped(&case.output)
            );
        } else if let Some(why) = &case.skipped {
            let _ = write!(out, "\n      <skipped message=\"{}\"/>\n    ", escaped(why));
        }
        out.push_str("</testcase>\n");
    }
    // The cases' details, passing ones included, in one place CI systems show.
    out.push_str("    <system-out>");
    for case in &suite.cases {
        escape(
            &format!("{}: {}\n", case.name, case.output.trim_end()),
            &mut out,
        );
    }
    out.push_str("</system-out>\n    <system-err></system-err>\n  </testsuite>\n</testsuites>\n");
    out
}

/// The current time as the schema's timestamp (UTC, no zone): "2026-12-03T10:41:16".
pub fn timestamp_now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    timestamp(seconds)
}

fn timestamp(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let rest = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// This machine's name, or "localhost" as the schema asks when it cannot be found.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        // 2000-02-29 (a leap day of a century divisible by 400) 12:34:56.
        assert_eq!(timestamp(951_827_696), "2000-02-29T12:34:56");
        assert_eq!(timestamp(1_796_294_476), "2026-12-03T10:41:16");
    }

    #[test]
    fn hostile_text_is_escaped() {
        let mut out = String::new();
        escape("a<b & \"c\"\u{1b}]0;x\u{7}\u{202e}\nok", &mut out);
        assert_eq!(
            out,
            "a&lt;b &amp; &quot;c&quot;\\u{001b}]0;x\\u{0007}\\u{202e}\nok"
        );
        assert_eq!(token("  two\n words\t"), "two words");
    }
}
