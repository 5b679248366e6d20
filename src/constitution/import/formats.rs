//! Recognising and converting the JSON layouts people already keep principles in:
//!
//! - the open reproduction's file: `{"constitutions": [{"critic", "revision"}], "system_chat":
//!   [[{"role", "content"}, ...]]}`: principles plus six-turn worked examples;
//! - the paper repository's critique/revision file: `{id: {"prompt": [critique request, ...],
//!   "edit_request": revision request}}`;
//! - a JSON array of strings: comparison principles.

use serde_json::{Map, Value};

use crate::constitution::types::{ComparisonPrinciple, FewShotExample, Principle};

/// Which layout a file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `{"constitutions": [...], "system_chat": [...]}`.
    Reproduction,
    /// `{id: {"prompt": [...], "edit_request": ...}}`.
    CritiqueRevisionMap,
    /// `["Which response ...?", ...]`.
    ComparisonList,
}

impl Layout {
    /// A short human name for summaries.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Reproduction => "principles and examples (constitutions/system_chat layout)",
            Layout::CritiqueRevisionMap => "critique/revision requests (id → prompt/edit_request)",
            Layout::ComparisonList => "comparison principles (array of strings)",
        }
    }
}

/// What the three layouts look like, for error messages.
pub const EXPECTED_LAYOUTS: &str = "expected one of: an object with a \"constitutions\" array of \
{\"critic\", \"revision\"} entries (and optionally \"system_chat\" conversations); an object \
mapping ids to {\"prompt\": [critique request, ...], \"edit_request\": revision request}; or an \
array of strings (comparison principles)";

/// What one file contributed. Principle and comparison ids may be empty: the caller numbers
/// them once all files are merged.
#[derive(Debug, Default)]
pub struct Extracted {
    pub principles: Vec<Principle>,
    pub comparisons: Vec<ComparisonPrinciple>,
    pub examples: Vec<FewShotExample>,
    /// Where in the file each principle, comparison and example came from (`constitutions[2]`,
    /// `"harmful1"`, `item 3`), in the same order as those lists.
    pub principle_origins: Vec<String>,
    pub comparison_origins: Vec<String>,
    pub example_origins: Vec<String>,
    /// Entries skipped, and why.
    pub warnings: Vec<String>,
}

/// Decides the layout of a parsed file, or `None` if it is none of the three.
pub fn detect(value: &Value) -> Option<Layout> {
    match value {
        Value::Object(map) if map.contains_key("constitutions") => Some(Layout::Reproduction),
        Value::Object(map) if !map.is_empty() && map.values().all(is_critique_revision_entry) => {
            Some(Layout::CritiqueRevisionMap)
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            Some(Layout::ComparisonList)
        }
        _ => None,
    }
}

fn is_critique_revision_entry(v: &Value) -> bool {
    v.get("edit_request").is_some_and(Value::is_string)
        && v.get("prompt")
            .is_some_and(|p| p.is_string() || p.is_array())
}

/// Converts a file of a known layout.
pub fn extract(layout: Layout, value: &Value) -> Extracted {
    match layout {
        Layout::Reproduction => reproduction(value),
        Layout::CritiqueRevisionMap => value
            .as_object()
            .map(critique_revision_map)
            .unwrap_or_default(),
        Layout::ComparisonList => comparison_list(value),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn reproduction(value: &Value) -> Extracted {
    let mut out = Extracted::default();
    let entries = value.get("constitutions").and_then(Value::as_array);
    if entries.is_none() {
        out.warnings
            .push("\"constitutions\" is not an array; no principles taken from it".into());
    }
    for (i, entry) in entries.into_iter().flatten().enumerate() {
        match (text(entry.get("critic")), text(entry.get("revision"))) {
            (Some(critique), Some(revision)) => {
                out.principles.push(Principle {
                    id: String::new(),
                    critique,
                    revision,
                    enabled: true,
                });
                out.principle_origins.push(format!("constitutions[{i}]"));
            }
            _ => out.warnings.push(format!(
                "constitutions[{i}] skipped: it needs non-empty \"critic\" and \"revision\" strings"
            )),
        }
    }
    let chats = value.get("system_chat").and_then(Value::as_array);
    for (i, chat) in chats.into_iter().flatten().enumerate() {
        match example_from_chat(chat) {
            Some(example) => {
                out.examples.push(example);
                out.example_origins.push(format!("system_chat[{i}]"));
            }
            None => out.warnings.push(format!(
                "system_chat[{i}] skipped: expected 6 non-empty turns alternating user and \
                 assistant (prompt, response, critique request, critique, revision request, \
                 revision)"
            )),
        }
    }
    out
}

fn example_from_chat(chat: &Value) -> Option<FewShotExample> {
    let turns = chat.as_array()?;
    if turns.len() != 6 {
        return None;
    }
    let mut texts = Vec::with_capacity(6);
    for (i, turn) in turns.iter().enumerate() {
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        if turn.get("role").and_then(Value::as_str) != Some(expected) {
            return None;
        }
        texts.push(text(turn.get("content"))?);
    }
    let mut t = texts.into_iter();
    Some(FewShotExample {
        prompt: t.next()?,
        response: t.next()?,
        critique_request: t.next()?,
        critique: t.next()?,
        revision_request: t.next()?,
        revision: t.next()?,
    })
}

fn critique_revision_map(map: &Map<String, Value>) -> Extracted {
    let mut out = Extracted::default();
    for (key, entry) in map {
        let critique = match entry.get("prompt") {
            Some(Value::Array(items)) => text(items.first()),
            other => text(other),
        };
        match (critique, text(entry.get("edit_request"))) {
            (Some(critique), Some(revision)) => {
                out.principles.push(Principle {
                    id: sanitise_id(key),
                    critique,
                    revision,
                    enabled: true,
                });
                out.principle_origins.push(format!("{key:?}"));
            }
            _ => out.warnings.push(format!(
                "\"{key}\" skipped: it needs a non-empty first \"prompt\" and an \"edit_request\""
            )),
        }
    }
    out
}

fn comparison_list(value: &Value) -> Extracted {
    let mut out = Extracted::default();
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        match text(Some(item)) {
            Some(question) => {
                out.comparisons.push(ComparisonPrinciple {
                    id: String::new(),
                    question,
                    enabled: true,
                });
                out.comparison_origins.push(format!("item {i}"));
            }
            None => out.warnings.push(format!("item {i} skipped: empty text")),
        }
    }
    out
}

/// Keeps letters, digits, `-` and `_`; anything else becomes `-`. May return an empty string,
/// in which case the caller numbers the entry instead.
pub fn sanitise_id(raw: &str) -> String {
    let mapped: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    mapped.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_each_layout_and_rejects_others() {
        assert_eq!(
            detect(&json!({"constitutions": []})),
            Some(Layout::Reproduction)
        );
        assert_eq!(
            detect(&json!({"x": {"prompt": ["a"], "edit_request": "b"}})),
            Some(Layout::CritiqueRevisionMap)
        );
        assert_eq!(detect(&json!(["a", "b"])), Some(Layout::ComparisonList));
        assert_eq!(detect(&json!(["a", 1])), None);
        assert_eq!(detect(&json!({"x": {"prompt": ["a"]}})), None);
        assert_eq!(detect(&json!({})), None);
        assert_eq!(detect(&json!("text")), None);
    }

    #[test]
    fn chats_must_have_six_alternating_turns() {
        let turn = |role: &str| json!({"role": role, "content": "t"});
        let good = json!([
            turn("user"),
            turn("assistant"),
            turn("user"),
            turn("assistant"),
            turn("user"),
            turn("assistant")
        ]);
        assert!(example_from_chat(&good).is_some());
        let swapped = json!([
            turn("assistant"),
            turn("user"),
            turn("user"),
            turn("assistant"),
            turn("user"),
            turn("assistant")
        ]);
        assert!(example_from_chat(&swapped).is_none());
        let short = json!([turn("user"), turn("assistant")]);
        assert!(example_from_chat(&short).is_none());
    }

    #[test]
    fn ids_are_sanitised() {
        assert_eq!(sanitise_id("harmful 0"), "harmful-0");
        assert_eq!(sanitise_id(" ethics_1 "), "ethics_1");
        assert_eq!(sanitise_id("!!"), "");
    }
}
