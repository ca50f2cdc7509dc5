//! The built-in demo must show the method working: every planted attribute is found, the
//! control class is flagged, the two-mode class is split into its two modes, the failure that
//! three classes share is found as one shared mode, and the check confirms each finding.

use faultline::analysis::direction::FitOptions;
use faultline::analysis::findings::{all_findings, shared_findings, FindingOptions, Status};
use faultline::analysis::fit_model;
use faultline::demo::{generate, DemoOptions, Planted, CLASSES};

#[test]
fn planted_failure_modes_are_found_and_the_control_is_flagged() {
    let demo = generate(&DemoOptions::default());
    let model = fit_model(&demo.dataset, &FitOptions::default()).unwrap();
    let options = FindingOptions::default();
    let findings = all_findings(&demo.dataset, &model, Some(&demo.captions), None, &options);
    for (f, (name, planted)) in findings.iter().zip(CLASSES) {
        assert_eq!(f.name, name);
        let first = f.first().unwrap();
        let captions = first.captions.as_ref().unwrap();
        match planted {
            Planted::Hard(attribute) => {
                assert_eq!(f.status, Status::Fitted, "{name}: {:?}", f.fit);
                let top = &captions.ranked[0];
                assert!(
                    top.text.contains(attribute.text()),
                    "{name}: top hard caption '{}'",
                    top.text
                );
                let check = first.check.as_ref().unwrap();
                assert!(
                    check.near_hard.accuracy < check.class_accuracy,
                    "{name}: {check:?}"
                );
                assert!(
                    check.near_easy.accuracy > check.near_hard.accuracy,
                    "{name}: {check:?}"
                );
                // The gap's interval excludes zero: the finding is not chance.
                assert!(check.gap.unwrap().low > 0.0, "{name}: {check:?}");
                assert_eq!(f.modes.len(), 1, "{name}: one failure, one mode");
            }
            Planted::HardEither(a, b) => {
                // Mode 1 blends the two; modes 2 and 3 are one each, named by it.
                assert_eq!(f.modes.len(), 3, "{name}");
                assert_eq!(first.assessment.blends, vec![1, 2], "{name}");
                let named: Vec<String> = f.modes[1..]
                    .iter()
                    .map(|m| m.captions.as_ref().unwrap().ranked[0].text.clone())
                    .collect();
                assert!(f.modes[1..].iter().all(|m| m.is_finding()), "{name}");
                let names = |text: &str| [a, b].map(|x| text.contains(x.text()));
                assert!(
                    names(&named[0]) == [true, false] && names(&named[1]) == [false, true]
                        || names(&named[0]) == [false, true] && names(&named[1]) == [true, false],
                    "{name}: {named:?}"
                );
            }
            Planted::Easy(attribute) => {
                assert_eq!(f.status, Status::Fitted, "{name}: {:?}", f.fit);
                let top = captions.ranked.last().unwrap();
                assert!(
                    top.text.contains(attribute.text()),
                    "{name}: top easy caption '{}'",
                    top.text
                );
                let check = first.check.as_ref().unwrap();
                assert!(
                    check.near_easy.accuracy > check.class_accuracy,
                    "{name}: {check:?}"
                );
            }
            Planted::Control => {
                assert_eq!(
                    f.status,
                    Status::NoCoherentFailureMode,
                    "{name}: {:?}",
                    f.fit
                );
                assert_eq!(f.modes.len(), 1, "{name}");
            }
        }
    }
    // Blurry photos hurt deer, sheep and cow: one shared mode, named by it, with each class's
    // own finding folded into it.
    let shared = shared_findings(&demo.dataset, &model, Some(&demo.captions), &options);
    assert_eq!(shared.len(), 1, "{shared:#?}");
    assert_eq!(shared[0].name(), Some("a blurry photo of a {class}"));
    let mut hurt: Vec<&str> = shared[0].classes.iter().map(|c| c.name.as_str()).collect();
    hurt.sort();
    assert_eq!(hurt, ["cow", "deer", "sheep"]);
    for c in &shared[0].classes {
        assert_eq!(c.explains, vec![0], "{}", c.name);
        let near = c.near_caption.as_ref().unwrap();
        assert!(
            near.accuracy < c.test_accuracy.unwrap(),
            "{}: {near:?}",
            c.name
        );
    }
}

#[test]
fn the_demo_is_deterministic() {
    let a = generate(&DemoOptions::default());
    let b = generate(&DemoOptions::default());
    assert_eq!(a.dataset.embeddings.to_vec(), b.dataset.embeddings.to_vec());
    assert_eq!(a.dataset.correct, b.dataset.correct);
    assert_eq!(a.captions.texts, b.captions.texts);
}

/// The demo's confidence is the predicted class's probability, the largest of K: never below
/// 1/K, whether the prediction is right or wrong.
#[test]
fn confidences_are_possible_for_an_argmax() {
    let demo = faultline::demo::generate(&faultline::demo::DemoOptions::default());
    let k = demo.dataset.num_classes() as f32;
    let confidence = demo.dataset.confidence.as_ref().unwrap();
    let lowest = confidence
        .iter()
        .filter(|c| !c.is_nan())
        .fold(f32::INFINITY, |a, &b| a.min(b));
    assert!(lowest >= 1.0 / k, "{lowest} < 1/{k}");
}

/// The demo's text side embeds a typed caption where the demo's own caption bank has it, so a
/// new user can press `c` in `faultline demo`; words it does not know are a clear error.
#[test]
fn the_demo_text_side_embeds_typed_captions_like_its_bank() {
    let demo = faultline::demo::generate(&faultline::demo::DemoOptions::default());
    let bank = &demo.captions;
    for text in [
        "a photo of a dog in the snow",
        "a photo of a white cat",
        "a photo of a boat",
    ] {
        let i = bank.texts.iter().position(|t| t == text).unwrap();
        let ours = &demo.text.embed_all(&[text.to_string()]).unwrap()[0];
        let cosine: f32 = ours
            .iter()
            .zip(bank.embeddings.row(i))
            .map(|(a, b)| a * b)
            .sum();
        assert!(cosine > 0.99, "{text}: cosine {cosine}");
    }
    // Without a class word, the reference caption's class is used.
    let texts = ["in the snow".to_string(), "a photo of a dog".to_string()];
    let both = demo.text.embed_all(&texts).unwrap();
    let snow_dog = &demo
        .text
        .embed_all(&["a photo of a dog in the snow".into()])
        .unwrap()[0];
    assert_eq!(&both[0], snow_dog);
    let err = demo
        .text
        .embed_all(&["a spaceship".to_string()])
        .unwrap_err();
    assert!(err.contains("knows the classes dog, cat"), "{err}");
}
