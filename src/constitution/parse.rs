//! Reading a constitution: TOML syntax, then the shape (unknown fields, wrong types), then the
//! semantic rules of [`validate`](super::validate). Every problem becomes a [`Diagnostic`] with
//! file, line, column and field path; semantic problems are all reported at once.

use std::path::Path;

use toml_edit::ImDocument;

use super::locate::{path_at_offset, span_of_path};
use super::types::Constitution;
use super::validate::validate;
use crate::data::{Diagnostic, LineIndex};

/// Parses and validates constitution text. `file` is only used to label diagnostics.
pub fn parse_constitution(
    text: &str,
    file: Option<&Path>,
) -> Result<Constitution, Vec<Diagnostic>> {
    let index = LineIndex::new(text);
    let place = |offset: Option<usize>, field: Option<String>, message: String| {
        let (line, column) = offset.map_or((1, 1), |o| index.position(o));
        Diagnostic {
            file: file.map(Path::to_path_buf),
            line,
            column,
            field,
            message,
        }
    };

    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let message = one_line(e.message());
            return Err(vec![place(e.span().map(|s| s.start), None, message)]);
        }
    };

    if doc.as_table().is_empty() {
        return Err(vec![place(
            None,
            None,
            "the constitution is empty: it needs a `name` and at least one [[principles]] table"
                .into(),
        )]);
    }

    let constitution: Constitution = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let offset = e.span().map(|s| s.start);
            let field = offset.and_then(|o| path_at_offset(&doc, o));
            return Err(vec![place(offset, field, shape_message(e.message()))]);
        }
    };

    let problems = validate(&constitution);
    if problems.is_empty() {
        return Ok(constitution);
    }
    let mut diagnostics: Vec<Diagnostic> = problems
        .into_iter()
        .map(|p| {
            let offset = span_of_path(&doc, &p.path).map(|s| s.start);
            place(offset, Some(p.path), p.message)
        })
        .collect();
    // File order; problems at the same place keep the order they were found in.
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Err(diagnostics)
}

/// Reads and parses a constitution file; returns it with the text it was parsed from. A file
/// that cannot be read gives one diagnostic at 1:1 with the reason.
pub fn load_constitution(path: &Path) -> Result<(Constitution, String), Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::at_start(
            Some(path.to_path_buf()),
            format!("cannot read the file: {e}"),
        )]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let (line, column) = LineIndex::new(valid).position(valid.len());
        vec![Diagnostic {
            line,
            column,
            ..Diagnostic::at_start(Some(path.to_path_buf()), "the file is not valid UTF-8")
        }]
    })?;
    let constitution = parse_constitution(&text, Some(path))?;
    Ok((constitution, text))
}

/// Serde's messages are good but mention Rust-side names; make the common ones read as TOML.
fn shape_message(message: &str) -> String {
    one_line(message)
        .replace("invalid type: ", "wrong type: ")
        .replace("unknown variant", "unknown value")
}

/// Parser messages may span lines ("invalid table header\nexpected ..."); diagnostics are
/// one line each.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"

[settings.comparison]
ensemble_size = 1

[[principles]]
id = "harm"
critique = "What is harmful?"
revision = "Remove it."

[[comparisons]]
id = "less-harm"
question = "Which is less harmful?"
"#;

    fn errors(text: &str) -> Vec<Diagnostic> {
        parse_constitution(text, Some(Path::new("c.toml"))).unwrap_err()
    }

    #[test]
    fn a_good_file_parses_with_default_settings() {
        let c = parse_constitution(GOOD, None).unwrap();
        assert_eq!(c.principles.len(), 1);
        assert_eq!(c.comparisons[0].id, "less-harm");
        assert!(c.principles[0].enabled);
        assert_eq!(
            c.settings.rounds,
            crate::constitution::Settings::default().rounds
        );
        assert_eq!(c.settings.comparison.ensemble_size, 1);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let d = errors("name = \"t\"\n[[principles]\nid = 1\n");
        assert_eq!(d.len(), 1);
        // The single `]` where `]]` should close the header.
        assert_eq!((d[0].line, d[0].column), (2, 13), "{}", d[0]);
        assert_eq!(
            d[0].to_string(),
            "c.toml:2:13: invalid table header: expected `.`, `]]`"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_the_field() {
        let text = GOOD.replace(
            "revision = \"Remove it.\"",
            "revision = \"x\"\ncritic = \"y\"",
        );
        let d = errors(&text);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 11, "{}", d[0]);
        assert!(d[0].message.contains("unknown field `critic`"), "{}", d[0]);
        assert_eq!(d[0].field.as_deref(), Some("principles[0].critic"));

        let text = GOOD.replace("name = \"t\"", "name = \"t\"\n[settings]\nrounds = \"two\"");
        let d = errors(&text);
        assert_eq!((d[0].line, d[0].column), (4, 10), "{}", d[0]);
        assert_eq!(d[0].message, "wrong type: string \"two\", expected u32");
        assert_eq!(d[0].field.as_deref(), Some("settings.rounds"));
    }

    #[test]
    fn every_semantic_problem_is_reported_at_its_field() {
        let text = r#"name = " "
[settings]
rounds = 0
temperature = 3.0
top_p = 0.0
max_response_tokens = 5000

[settings.comparison]
ensemble_size = 2
clamp = [0.7, 0.3]

[[principles]]
id = "a b"
critique = ""
revision = "r"

[[principles]]
id = "a b"
critique = "c"
revision = "r"
enabled = false

[[comparisons]]
id = "q"
question = "Which?"

[[examples]]
prompt = "p"
response = "r"
critique_request = "cr"
critique = ""
revision_request = "rr"
revision = "rv"
"#;
        let d = errors(text);
        let at = |field: &str| {
            d.iter()
                .find(|d| d.field.as_deref() == Some(field))
                .map(|d| (d.line, d.column))
                .unwrap_or_else(|| panic!("no diagnostic for {field}: {d:#?}"))
        };
        assert_eq!(at("name"), (1, 1));
        assert_eq!(at("settings.rounds"), (3, 1));
        assert_eq!(at("settings.temperature"), (4, 1));
        assert_eq!(at("settings.top_p"), (5, 1));
        assert_eq!(at("settings.max_response_tokens"), (6, 1));
        assert_eq!(at("settings.comparison.ensemble_size"), (9, 1));
        assert_eq!(at("settings.comparison.clamp"), (10, 1));
        assert_eq!(at("principles[0].critique"), (14, 1));
        assert_eq!(at("examples[0].critique"), (31, 1));
        // Both ids are not simple; the second is also a duplicate.
        let ids: Vec<_> = d
            .iter()
            .filter(|d| d.field.as_deref() == Some("principles[1].id"))
            .collect();
        assert_eq!(ids.len(), 2, "{d:#?}");
        assert!(ids.iter().all(|d| d.line == 18));
        assert!(ids
            .iter()
            .any(|d| d.message.contains("already used by principles[0]")));
        // principles[0] is enabled, so there is no "all disabled" error.
        assert!(!d.iter().any(|d| d.field.as_deref() == Some("principles")));
        assert_eq!(d.len(), 12, "{d:#?}");
        assert!(d
            .windows(2)
            .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)));
    }

    #[test]
    fn no_enabled_principle_is_an_error_at_the_start_when_there_are_none() {
        let d = errors("name = \"t\"\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field.as_deref(), Some("principles"));
        assert_eq!((d[0].line, d[0].column), (1, 1));
    }

    #[test]
    fn all_principles_disabled_points_at_the_first_principle_header() {
        let text = GOOD.replace(
            "revision = \"Remove it.\"",
            "revision = \"r\"\nenabled = false",
        );
        let d = errors(&text);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].field.as_deref(), Some("principles"));
        assert_eq!((d[0].line, d[0].column), (7, 1));
    }

    #[test]
    fn load_reports_unreadable_files_at_one_one() {
        let d = load_constitution(Path::new("/nonexistent/dir/c.toml")).unwrap_err();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].column), (1, 1));
        assert!(d[0].message.starts_with("cannot read the file"));
    }
}
