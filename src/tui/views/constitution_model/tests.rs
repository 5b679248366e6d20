//! Tests of the constitution being edited: list operations, fragments, saving, read-only files.

use super::*;

const TEXT: &str = "name = \"t\"\n[settings.comparison]\nensemble_size = 1\n\n[[principles]]\nid = \"harm\"\ncritique = \"c\"\nrevision = \"r\"\n\n[[comparisons]]\nid = \"less-harm\"\nquestion = \"q\"\n";

#[test]
fn list_operations_keep_the_file_valid() {
    let mut doc = ConstitutionDoc::from_text(PathBuf::from("c.toml"), TEXT);
    assert!(!doc.is_modified());
    let row = doc.duplicate(0);
    assert_eq!(doc.summary(row).unwrap().1, "harm-copy");
    let row = doc.shift(row, true);
    assert_eq!(row, 0);
    doc.toggle(0);
    assert!(!doc.summary(0).unwrap().2);
    let added = doc.add(2);
    assert_eq!(doc.summary(added).unwrap().0, Kind::Comparison);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    assert!(doc.is_modified());
}

#[test]
fn invalid_edit_reports_position_and_changes_nothing() {
    let mut doc = ConstitutionDoc::from_text(PathBuf::from("c.toml"), TEXT);
    let err = doc
        .apply_snippet(0, "id = \"harm\"\ncritique = \nrevision = \"r\"\n")
        .unwrap_err();
    assert_eq!(err[0].line, 2);
    assert!(!doc.is_modified());
}

#[test]
fn save_is_refused_while_ids_clash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, TEXT).unwrap();
    let mut doc = ConstitutionDoc::from_text(path.clone(), TEXT);
    let copy = doc.duplicate(0);
    doc.apply_snippet(copy, "id = \"harm\"\ncritique = \"c\"\nrevision = \"r\"\n")
        .unwrap();
    assert!(!doc.problems.is_empty());
    assert!(doc.save().is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), TEXT);
    doc.apply_snippet(copy, "id = \"other\"\ncritique = \"c\"\nrevision = \"r\"\n")
        .unwrap();
    doc.save().unwrap();
    assert!(!doc.is_modified());
    assert!(std::fs::read_to_string(&path).unwrap().contains("other"));
}

#[test]
fn a_file_that_does_not_parse_opens_read_only_and_is_never_saved_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    let broken =
        "# my notes\nname = \"x\"\n[[principles]]\nid = \"a\"\ncritique = \"unterminated\n";
    std::fs::write(&path, broken).unwrap();
    let mut doc = ConstitutionDoc::from_text(path.clone(), broken);
    let reason = doc.read_only_reason().expect("read-only");
    assert!(
        reason.contains("broken.toml is not a valid constitution file (5:"),
        "{reason}"
    );
    assert_eq!(doc.text, broken, "the file is shown as it is");
    assert!(!doc.load_problems.is_empty());
    // Every change is refused, so is saving.
    assert_eq!(doc.add(0), 0);
    doc.toggle(0);
    assert_eq!(doc.text, broken);
    assert!(!doc.is_modified());
    let err = doc.save().unwrap_err();
    assert!(err.starts_with("not saved: read-only: "), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    // A file that is TOML but not a constitution (unknown field) is read-only too.
    let doc = ConstitutionDoc::from_text(path, "name = \"x\"\ncolour = 3\n");
    assert!(doc.read_only_reason().is_some());
}

/// The "edited three ways" demonstration: a commented file, a field edited, a principle
/// disabled, two principles reordered, saved; the diff touches only what changed.
#[test]
fn a_commented_file_edited_three_ways_keeps_everything_else() {
    let original = include_str!("../../../../tests/fixtures/commented.toml");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("commented.toml");
    std::fs::write(&path, original).unwrap();
    let mut doc = ConstitutionDoc::from_text(path.clone(), original);
    // 1. Edit the critique of `harm`.
    let fields = doc.snippet(0);
    doc.apply_snippet(0, &fields.replace("Say how.", "Say how, in one sentence."))
        .unwrap();
    // 2. Disable `kind`.
    doc.toggle(1);
    // 3. Move `honest` above `kind`.
    let row = doc.shift(2, true);
    assert_eq!(row, 1);
    doc.save().unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    let diff = similar::TextDiff::from_lines(original, saved.as_str());
    let changed: Vec<String> = diff
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| format!("{}{}", c.tag(), c.value().trim_end()))
        .collect();
    assert_eq!(
        changed,
        [
            "-critique = \"Could the last response cause harm? Say how.\"",
            "+critique = \"Could the last response cause harm? Say how, in one sentence.\"",
            "+[[principles]]",
            "+id = \"honest\"",
            "+critique = \"Does the last response claim anything false?\"",
            "+revision = \"Rewrite it so every statement is true.\"",
            "+",
            "-",
            "-[[principles]]",
            "-id = \"honest\"",
            "-critique = \"Does the last response claim anything false?\"",
            "-revision = \"Rewrite it so every statement is true.\"",
            "+enabled = false",
        ],
        "{}",
        diff.unified_diff().header("before", "after")
    );
    let c = crate::constitution::parse_constitution(&saved, None).unwrap();
    let ids: Vec<&str> = c.principles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["harm", "honest", "kind"]);
    assert!(!c.principles[2].enabled);
}
