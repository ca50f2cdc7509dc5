//! `report --fail-on-gap X`: a CI gate on the size of the failure modes found. A class fails
//! when one of its significant modes (its own or a shared mode that hurts it) has a gap (the
//! accuracy on its easy side minus on its hard side, test rows) above X percentage points.
//! The gate reads the gap's estimate; significance (the held-out test and the correction)
//! already guards against noise.

use super::json::{Report, SharedReport};
use super::junit;
use crate::analysis::stats::SideGap;

/// A significant mode whose gap is over the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct GapBreach {
    pub class: u32,
    pub class_name: String,
    /// "mode 2" or "shared mode 1".
    pub mode: String,
    pub sides: SideGap,
}

impl GapBreach {
    pub fn text(&self, max_points: f64) -> String {
        format!(
            "{} {}: gap {:.0} points > {max_points} (accuracy {:.3} on its hard side, {:.3} on its easy side)",
            crate::text::visible(&self.class_name),
            self.mode,
            self.sides.gap.estimate * 100.0,
            self.sides.hard_accuracy,
            self.sides.easy_accuracy
        )
    }
}

fn over(sides: Option<&SideGap>, max_points: f64) -> Option<SideGap> {
    sides
        .filter(|s| s.gap.estimate * 100.0 > max_points)
        .copied()
}

fn shared_breaches<'a>(
    shared: &'a [SharedReport],
    max_points: f64,
) -> impl Iterator<Item = GapBreach> + 'a {
    shared.iter().flat_map(move |s| {
        s.classes.iter().filter_map(move |c| {
            let sides = over(c.sides.as_ref(), max_points)?;
            c.evidence.significant.then(|| GapBreach {
                class: c.index,
                class_name: c.name.clone(),
                mode: format!("shared mode {}", s.mode),
                sides,
            })
        })
    })
}

/// Every significant mode of the report whose gap is above `max_points`, class by class.
pub fn gap_breaches(report: &Report, max_points: f64) -> Vec<GapBreach> {
    let mut breaches: Vec<GapBreach> = report
        .classes
        .iter()
        .flat_map(|c| {
            c.modes.iter().filter_map(move |m| {
                let sides = over(m.sides.as_ref(), max_points)?;
                m.evidence.significant.then(|| GapBreach {
                    class: c.index,
                    class_name: c.name.clone(),
                    mode: format!("mode {}", m.mode),
                    sides,
                })
            })
        })
        .chain(shared_breaches(&report.shared_modes, max_points))
        .collect();
    breaches.sort_by_key(|b| b.class);
    breaches
}

/// The report as JUnit: a test case per class, failed when a breach names it (with no gate,
/// `max_points` 0: any significant mode fails its class).
pub fn junit_suite(report: &Report, max_points: f64, seconds: f64) -> junit::Suite {
    let breaches = gap_breaches(report, max_points);
    let cases = report
        .classes
        .iter()
        .map(|c| {
            let mine: Vec<&GapBreach> = breaches.iter().filter(|b| b.class == c.index).collect();
            let mut output = String::new();
            for m in &c.modes {
                output.push_str(&format!(
                    "mode {}: {}{}\n",
                    m.mode,
                    if m.evidence.significant {
                        "significant"
                    } else {
                        "not significant"
                    },
                    m.sides
                        .as_ref()
                        .map_or(String::new(), |s| format!("; {}", super::sides_text(s)))
                ));
            }
            junit::Case {
                name: c.name.clone(),
                failure: (!mine.is_empty()).then(|| junit::Failure {
                    message: mine
                        .iter()
                        .map(|b| b.text(max_points))
                        .collect::<Vec<_>>()
                        .join("; "),
                    kind: "gap".into(),
                }),
                skipped: c
                    .reason
                    .clone()
                    .filter(|_| c.status == crate::analysis::findings::Status::Skipped),
                output,
            }
        })
        .collect();
    junit::Suite {
        name: "faultline report".into(),
        package: "faultline.report".into(),
        cases,
        properties: vec![
            ("dataset".into(), report.dataset.path.clone()),
            ("fail_on_gap_points".into(), max_points.to_string()),
            ("alpha".into(), report.statistics.alpha.to_string()),
        ],
        seconds,
        timestamp: junit::timestamp_now(),
        hostname: junit::hostname(),
    }
}
