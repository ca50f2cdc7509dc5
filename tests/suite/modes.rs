//! Several failure modes per class, modes shared across classes, and the statistics that say
//! which are real, on generated worlds with planted truth: ten classes that share one failure,
//! two classes with two independent failures each, rare subgroups (5% and 10% of a class), a
//! single failure, an easy attribute, and controls whose errors are random.

use faultline::analysis::direction::FitOptions;
use faultline::analysis::findings::{
    all_findings, shared_findings, ClassFindings, FindingOptions, SharedFindings,
};
use faultline::analysis::fit_model;
use faultline::demo::{generate_world, Attribute, ClassSpec, Demo, DemoOptions, Planted};

const SHARED_BY: usize = 10;

fn world(seed: u64) -> Demo {
    let mut specs: Vec<ClassSpec> = (0..SHARED_BY)
        .map(|i| ClassSpec::new(&format!("shared{i}"), Planted::Hard(Attribute::Quality(0))))
        .collect();
    specs.push(ClassSpec::new(
        "wolf",
        Planted::HardEither(Attribute::Colour(1), Attribute::Context(0)),
    ));
    specs.push(ClassSpec::new(
        "lynx",
        Planted::HardEither(Attribute::Colour(3), Attribute::Context(3)),
    ));
    for (name, rate) in [("rare5", 0.05), ("rare10", 0.10)] {
        let mut rare = ClassSpec::new(name, Planted::Hard(Attribute::Quality(1)));
        rare.quality_rates = [0.1, rate];
        specs.push(rare);
    }
    specs.push(ClassSpec::new("fox", Planted::Hard(Attribute::Context(1))));
    specs.push(ClassSpec::new("boat", Planted::Easy(Attribute::Context(2))));
    for i in 0..4 {
        specs.push(ClassSpec::new(&format!("control{i}"), Planted::Control));
    }
    generate_world(
        &specs,
        &DemoOptions {
            seed,
            dim: 256,
            per_split: [300, 600, 600, 0],
        },
    )
}

struct Found {
    demo: Demo,
    classes: Vec<ClassFindings>,
    shared: Vec<SharedFindings>,
}

fn found(seed: u64) -> Found {
    let demo = world(seed);
    let model = fit_model(&demo.dataset, &FitOptions::default()).unwrap();
    let options = FindingOptions::default();
    let classes = all_findings(&demo.dataset, &model, Some(&demo.captions), None, &options);
    let shared = shared_findings(&demo.dataset, &model, Some(&demo.captions), &options);
    Found {
        demo,
        classes,
        shared,
    }
}

fn top_hard(f: &ClassFindings, position: usize) -> String {
    let mode = f.mode(position).unwrap();
    mode.captions.as_ref().unwrap().ranked[0].text.clone()
}

/// What each mode of a class says, for failure messages.
fn describe(f: &ClassFindings) -> String {
    f.modes
        .iter()
        .map(|m| {
            format!(
                "[mode {} finding {} q {:?} lift {:?} '{}']",
                m.position + 1,
                m.is_finding(),
                m.assessment.evidence.q_value,
                m.assessment.evidence.lift,
                m.captions.as_ref().map_or("", |c| &c.ranked[0].text)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_planted_mode_is_found_and_named_and_controls_have_none() {
    for seed in [1, 2, 3] {
        let Found {
            demo,
            classes,
            shared,
        } = found(seed);
        for (f, spec) in classes.iter().zip(&demo.classes) {
            let what = format!("seed {seed}, {}: {}", f.name, describe(f));
            let significant: Vec<usize> = f
                .modes
                .iter()
                .filter(|m| m.assessment.evidence.significant)
                .map(|m| m.position)
                .collect();
            match spec.planted {
                Planted::Hard(attribute) => {
                    // One failure: mode 1 finds it and names it, and it is not split in two.
                    assert!(significant.contains(&0), "{what}");
                    assert!(top_hard(f, 0).contains(attribute.text()), "{what}");
                    assert_eq!(f.modes.len(), 1, "{what}");
                }
                Planted::HardEither(a, b) => {
                    // Two failures: mode 1 blends them, modes 2 and 3 are one each.
                    assert_eq!(f.modes.len(), 3, "{what}");
                    assert_eq!(f.modes[0].assessment.blends, vec![1, 2], "{what}");
                    assert_eq!(significant, vec![0, 1, 2], "{what}");
                    let (two, three) = (top_hard(f, 1), top_hard(f, 2));
                    let names = |text: &str| [a, b].map(|x| text.contains(x.text()));
                    assert!(
                        names(&two) == [true, false] && names(&three) == [false, true]
                            || names(&two) == [false, true] && names(&three) == [true, false],
                        "{what}"
                    );
                    // Ordered by the errors they explain.
                    let coverage = |p: usize| f.modes[p].assessment.evidence.coverage.unwrap();
                    assert!(coverage(1) >= coverage(2), "{what}");
                }
                Planted::Easy(attribute) => {
                    assert!(significant.contains(&0), "{what}");
                    let easiest = f.first().unwrap().captions.as_ref().unwrap();
                    let easiest = &easiest.ranked.last().unwrap().text;
                    assert!(easiest.contains(attribute.text()), "{what}: '{easiest}'");
                }
                Planted::Control => {
                    assert!(significant.is_empty(), "{what}");
                    assert!(
                        shared
                            .iter()
                            .all(|s| s.classes.iter().all(|c| c.class != f.class)),
                        "seed {seed}: {} is in a shared mode",
                        f.name
                    );
                }
            }
        }
        // The failure shared by ten classes: one shared mode, named by it, hurting every one
        // of them and folding in each class's own finding.
        let blurry: Vec<&SharedFindings> = shared
            .iter()
            .filter(|s| s.name().is_some_and(|n| n.contains("blurry")))
            .collect();
        assert_eq!(blurry.len(), 1, "seed {seed}: {shared:#?}");
        let hurt: Vec<&str> = blurry[0].classes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(hurt.len(), SHARED_BY, "seed {seed}: {hurt:?}");
        for c in &blurry[0].classes {
            assert!(c.name.starts_with("shared"), "seed {seed}: {hurt:?}");
            assert_eq!(c.explains, vec![0], "seed {seed}: {}", c.name);
            assert!(c.hard_accuracy.unwrap() < c.test_accuracy.unwrap());
        }
        // Every other shared mode is a failure its classes really share.
        for s in &shared {
            let name = s.name().unwrap_or_default();
            assert!(
                name.contains("blurry") || name.contains("close-up"),
                "seed {seed}: unexpected shared mode {name}: {:?}",
                s.classes.iter().map(|c| &c.name).collect::<Vec<_>>()
            );
        }
    }
}

/// Finding further modes is off with --max-modes 1; the paper's direction is unchanged by it.
#[test]
fn one_mode_is_the_papers_direction_alone() {
    let demo = world(1);
    let mut options = FitOptions::default();
    let several = fit_model(&demo.dataset, &options).unwrap();
    options.modes.max_modes = 1;
    let one = fit_model(&demo.dataset, &options).unwrap();
    for (a, b) in several.classes.iter().zip(&one.classes) {
        assert_eq!(a.outcome, b.outcome);
        assert!(b.candidates.is_empty());
    }
    let wolf = demo.dataset.class_index("wolf").unwrap();
    assert_eq!(several.modes(wolf).len(), 3);
    assert_eq!(one.modes(wolf).len(), 1);
}

/// The same data gives the same modes and the same statistics on any number of threads: every
/// parallel sum adds its parts in a fixed order.
#[test]
fn findings_do_not_depend_on_the_thread_count() {
    let demo = world(2);
    let fit_with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit_model(&demo.dataset, &FitOptions::default()).unwrap())
    };
    let (one, two) = (fit_with(1), fit_with(2));
    assert_eq!(one.assessment, two.assessment);
    assert_eq!(one.shared, two.shared);
    for (a, b) in one.classes.iter().zip(&two.classes) {
        assert_eq!(a.candidates, b.candidates);
    }
}
