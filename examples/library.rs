//! faultline as a library: load a dataset, fit the directions, print each class's failure
//! modes with their hardest test rows. `cargo run --release --example library -- demo/demo.parquet`

use faultline::analysis::direction::FitOptions;
use faultline::analysis::findings::{class_findings, FindingOptions};
use faultline::analysis::fit_model;
use faultline::data::{load_dataset, LoadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: library DATA.parquet")?;
    let dataset = load_dataset(path.as_ref(), &LoadOptions::default())?;
    let model = fit_model(&dataset, &FitOptions::default())?;
    for class in 0..dataset.num_classes() as u32 {
        let findings = class_findings(&dataset, &model, None, class, &FindingOptions::default());
        println!("{:<12} {}", findings.name, findings.status.label());
        for mode in &findings.modes {
            let hardest: Vec<String> = mode
                .hardest(5)
                .iter()
                .map(|r| format!("{} ({:+.2})", dataset.ids.get(r.row), r.decision_value))
                .collect();
            let evidence = &mode.assessment.evidence;
            println!(
                "  {} {:<9} q {:<8} {}",
                mode.label(),
                if mode.is_finding() { "finding" } else { "" },
                evidence.q_value.map_or("-".into(), |q| format!("{q:.1e}")),
                hardest.join(", ")
            );
        }
    }
    Ok(())
}
