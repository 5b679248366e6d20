//! Importer tests against the small fixtures in `tests/fixtures/import/`.

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

#[test]
fn reproduction_file_gives_principles_and_examples() {
    let report = import_files_with_report(&[fixture("reproduction.json")]).unwrap();
    let c = &report.constitution;
    assert_eq!(c.name, "reproduction");
    let ids: Vec<_> = c.principles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p01", "p02"]);
    assert!(c.principles[1]
        .critique
        .starts_with("Did the last reply talk down"));
    assert_eq!(c.examples.len(), 1);
    assert!(c.examples[0].revision.starts_with("Ask your neighbour"));
    assert!(c.examples[0]
        .critique_request
        .starts_with("Point out anything"));
    // The entry without a revision and the two-turn chat are skipped with warnings.
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].starts_with("reproduction.json: constitutions[2]"));
    assert!(report.warnings[1].contains("system_chat[1]"));
    assert_eq!(report.sources[0].1, Layout::Reproduction);
}

#[test]
fn critique_revision_map_keeps_sanitised_ids_and_first_prompt() {
    let c = import_files(&[fixture("critique_revision.json")]).unwrap();
    let ids: Vec<_> = c.principles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["harm-0", "law_1", "tone"]);
    assert!(c.principles[0]
        .critique
        .starts_with("Name the specific ways"));
    assert!(c.principles[0]
        .revision
        .starts_with("Revise the reply to take out"));
}

#[test]
fn files_merge_and_settings_fit_the_comparisons() {
    let paths = [
        fixture("critique_revision.json"),
        fixture("comparisons.json"),
        fixture("reproduction.json"),
    ];
    let report = import_files_with_report(&paths).unwrap();
    let c = &report.constitution;
    assert_eq!(c.name, "critique_revision");
    assert_eq!(c.principles.len(), 5);
    assert_eq!(c.principles[3].id, "p01");
    let ids: Vec<_> = c.comparisons.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["c01", "c02", "c03", "c04"]);
    assert_eq!(c.settings.comparison.ensemble_size, 3);
    assert!(c.description.contains("comparisons.json"));
    // The merged result serialises to TOML that passes the full parser.
    let text = crate::constitution::document::new_document(c, &[], &|_, _| None)
        .unwrap()
        .to_string();
    assert_eq!(report.principle_origins.len(), 5);
    assert_eq!(report.comparison_origins[1], "comparisons.json, item 1");
    let back = crate::constitution::parse_constitution(&text, None).unwrap();
    assert_eq!(&back, c);
}

#[test]
fn comparison_only_input_asks_for_the_critique_file() {
    let err = import_files(&[fixture("comparisons.json")]).unwrap_err();
    assert!(matches!(err, ImportError::NoPrinciples { .. }));
    assert!(
        err.to_string()
            .contains("pass the critique/revision file too"),
        "{err}"
    );
}

#[test]
fn bad_json_has_line_and_column() {
    let err = import_files(&[fixture("bad.json")]).unwrap_err();
    match &err {
        ImportError::Json { line, column, .. } => assert_eq!((*line, *column), (3, 37), "{err}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("bad.json:3:37: not valid JSON: trailing comma"),
        "{err}"
    );
}

#[test]
fn unknown_layouts_and_missing_files_say_what_was_expected() {
    let err = import_files(&[fixture("unknown.json")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("unrecognised layout; expected one of"),
        "{err}"
    );
    let err = import_files(&[fixture("absent.json")]).unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }));
    assert!(matches!(import_files(&[]), Err(ImportError::NoInputs)));
}

#[test]
fn unique_ids_skip_taken_numbers_and_suffix_duplicates() {
    let ids: Vec<String> = ["p01", "", "x", "x", ""]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(unique_ids(&ids, 'p'), ["p01", "p02", "x", "x-2", "p03"]);
}
