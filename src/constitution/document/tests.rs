//! Tests of in-place editing: comments, layout and untouched tables survive every operation.

use super::*;
use crate::constitution::parse_constitution;
use crate::constitution::types::*;

const COMMENTED: &str = include_str!("../../../tests/fixtures/commented.toml");

fn doc() -> DocumentMut {
    COMMENTED.parse().unwrap()
}

/// The lines of `after` that are not in `before` and the other way round (a line diff).
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end().to_string();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

#[test]
fn an_untouched_document_is_written_back_byte_for_byte() {
    assert_eq!(doc().to_string(), COMMENTED);
}

#[test]
fn toggling_changes_one_line() {
    let mut d = doc();
    set_enabled(&mut d, List::Principles, 1, false);
    let (removed, added) = changed_lines(COMMENTED, &d.to_string());
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(added, ["enabled = false"]);
    set_enabled(&mut d, List::Principles, 1, true);
    let (removed, added) = changed_lines(COMMENTED, &d.to_string());
    assert_eq!(
        (removed.len(), added),
        (0, vec!["enabled = true".to_string()])
    );
}

#[test]
fn reordering_moves_a_table_with_its_comment() {
    let mut d = doc();
    swap(&mut d, List::Principles, 0, 1);
    let text = d.to_string();
    let kind = text.find("# Tone.\n[[principles]]\nid = \"kind\"").unwrap();
    let harm = text.find("id = \"harm\"   # the main one").unwrap();
    assert!(kind < harm, "{text}");
    let c = parse_constitution(&text, None).unwrap();
    assert_eq!(c.principles[0].id, "kind");
    // The same lines, in another order.
    let mut a: Vec<&str> = COMMENTED.lines().collect();
    let mut b: Vec<&str> = text.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

#[test]
fn editing_fields_rewrites_only_the_changed_field() {
    let mut d = doc();
    let fields = fields_text(&d, List::Principles, 0);
    assert_eq!(
        fields,
        "id = \"harm\"   # the main one\ncritique = \"Could the last response cause harm? Say how.\"\nrevision = 'Rewrite it so it causes no harm.'\n"
    );
    let edited = fields.replace("Say how.", "Say how, briefly.");
    replace_fields(&mut d, List::Principles, 0, &edited.parse().unwrap());
    let (removed, added) = changed_lines(COMMENTED, &d.to_string());
    assert_eq!(
        removed,
        ["critique = \"Could the last response cause harm? Say how.\""]
    );
    assert_eq!(
        added,
        ["critique = \"Could the last response cause harm? Say how, briefly.\""]
    );
}

#[test]
fn inserting_and_removing_touch_only_their_table() {
    let mut d = doc();
    let p = Principle {
        id: "new".into(),
        critique: "c".into(),
        revision: "r".into(),
        enabled: true,
    };
    insert(&mut d, List::Principles, 1, principle_table(&p));
    let text = d.to_string();
    let c = parse_constitution(&text, None).unwrap();
    let ids: Vec<&str> = c.principles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["harm", "new", "kind", "honest"]);
    let (removed, added) = changed_lines(COMMENTED, &text);
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(added.len(), 5, "{added:?}\n{text}");
    assert!(remove(&mut d, List::Principles, 1));
    assert_eq!(d.to_string(), COMMENTED);
    // Removing the last comparison leaves every other line alone.
    assert!(remove(&mut d, List::Comparisons, 0));
    let (removed, added) = changed_lines(COMMENTED, &d.to_string());
    assert!(added.is_empty());
    assert_eq!(removed.len(), 5, "{removed:?}");
}

#[test]
fn a_new_document_has_the_comments_it_was_given_and_reads_back() {
    let c = parse_constitution(COMMENTED, None).unwrap();
    let d = new_document(&c, &["made by a test".into()], &|key, i| {
        Some(format!("{key} number {i}\nfrom nowhere"))
    })
    .unwrap();
    let text = d.to_string();
    assert!(text.starts_with("# made by a test\n\nname = "), "{text}");
    assert!(text.contains("\n# principles number 1 from nowhere\n[[principles]]\nid = \"kind\""));
    assert!(!text.contains("enabled = true"), "{text}");
    // Settings read as written: f32 values not widened, arrays on one line, no empty lists.
    assert!(text.contains("\ntemperature = 0.0\n"), "{text}");
    assert!(!text.contains("examples = []"), "{text}");
    let mut defaults = c.clone();
    defaults.settings = Default::default();
    let with_defaults = new_document(&defaults, &[], &|_, _| None)
        .unwrap()
        .to_string();
    assert!(
        with_defaults.contains("\ntemperature = 0.7\ntop_p = 0.95\n"),
        "{with_defaults}"
    );
    assert!(
        with_defaults.contains("\nclamp = [0.4, 0.6]\n"),
        "{with_defaults}"
    );
    assert_eq!(parse_constitution(&text, None).unwrap(), c);
}

fn sample() -> Constitution {
    Constitution {
        name: "round \"trip\"".into(),
        description: "Line one.\nLine two with a \\ backslash\tand tab.".into(),
        settings: Settings {
            rounds: 3,
            temperature: 1.0,
            top_p: 0.9,
            seed: 7,
            comparison: ComparisonSettings {
                mode: ComparisonMode::ChainOfThought,
                candidates: CandidatePair::TwoSamples,
                clamp: [0.25, 0.75],
                ..Default::default()
            },
            ..Default::default()
        },
        principles: vec![
            Principle {
                id: "a".into(),
                critique: "Ends with a quote: \"".into(),
                revision: "Three \"\"\" quotes\nand a newline\r\n".into(),
                enabled: true,
            },
            Principle {
                id: "b".into(),
                critique: "x\u{7}y".into(),
                revision: "\"\nstarts with a quote".into(),
                enabled: false,
            },
        ],
        comparisons: vec![ComparisonPrinciple {
            id: "c".into(),
            question: "Which? ünïcode".into(),
            enabled: false,
        }],
        examples: vec![FewShotExample {
            prompt: "p".into(),
            response: "r\n\n".into(),
            critique_request: "cr".into(),
            critique: "c".into(),
            revision_request: "rr".into(),
            revision: "\nleading newline".into(),
        }],
    }
}

#[test]
fn new_documents_round_trip_awkward_strings() {
    let c = sample();
    let text = new_document(&c, &[], &|_, _| None).unwrap().to_string();
    let back: Constitution = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, c, "{text}");
}
