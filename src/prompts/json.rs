//! JSON prompt sets: JSON Lines (one object a line, blank lines skipped) or one JSON array.
//!
//! An object holds its prompt under the first of these keys it has (names matched without
//! regard to case, so the JSON Lines a Hugging Face dataset is saved as reads as it is):
//! - `prompt` (ours, and most red-team sets), `goal` (AdvBench, JailbreakBench), `behavior`
//!   (HarmBench): a string, or a chat message list whose first user message is taken;
//! - `messages` (a chat dataset): the first user message;
//! - `rl_prompt` (the CAI paper repository's samples), `chosen`, `rejected`, `transcript`
//!   (Anthropic HH-RLHF): a `"\n\nHuman: ...\n\nAssistant: ..."` transcript, whose first human
//!   turn is the prompt, or a chat message list (TRL's conversational preference data).
//!
//! `id` (or `BehaviorID`) and `category` (or HarmBench's `SemanticCategory`, or the samples'
//! `comparison_dataset`) are optional strings. Array elements may also be plain strings.
//!
//! Every position goes through [`LineIndex`], which clamps offsets to character boundaries, and
//! element and field places come from [`spans`], which lets serde_json read the values.

mod spans;

use serde_json::Value;

use super::{Located, Problem, Prompt};
use crate::data::LineIndex;

const EXPECTED: &str = "expected an object with a \"prompt\" string (or \"goal\", \"behavior\", \
\"messages\"), or a transcript under \"rl_prompt\", \"chosen\", \"rejected\" or \"transcript\"";

/// The keys a prompt is read from, in order of preference, and whether a string under the key
/// is a `Human:`/`Assistant:` transcript (rather than the prompt itself).
const PROMPT_KEYS: &[(&str, bool)] = &[
    ("prompt", false),
    ("goal", false),
    ("behavior", false),
    ("messages", false),
    ("rl_prompt", true),
    ("chosen", true),
    ("rejected", true),
    ("transcript", true),
];
/// The keys an id is read from, in order of preference.
const ID_KEYS: &[&str] = &["id", "behaviorid"];
/// The keys a category is read from, in order of preference.
const CATEGORY_KEYS: &[&str] = &["category", "semanticcategory", "comparison_dataset"];

/// Reads JSON Lines, or a whole-file JSON array when the text starts with `[`.
pub fn parse(text: &str) -> Result<Vec<Located>, Problem> {
    let index = LineIndex::new(text);
    if text.trim_start().starts_with('[') {
        return parse_array(text, &index);
    }
    let mut out = Vec::new();
    let mut line_start = 0;
    for raw in text.split_inclusive('\n') {
        let start = line_start;
        line_start += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let at = |byte: usize| index.position(start + byte);
        match parse_prompt_line(line) {
            Ok(prompt) => {
                let (line, column) = at(line.len() - line.trim_start().len());
                out.push(Located {
                    prompt,
                    line,
                    column,
                });
            }
            Err((byte, reason)) => {
                let (line, column) = at(byte);
                return Err(Problem::new(line, column, reason));
            }
        }
    }
    Ok(out)
}

/// Parses one JSON Lines line into a prompt. On failure returns the byte offset in the line
/// where the problem is (always on a character boundary), and the reason.
pub fn parse_prompt_line(line: &str) -> Result<Prompt, (usize, String)> {
    let value = parse_json_line(line)?;
    prompt_from_value(&value, line)
}

/// Parses one JSON Lines line; on failure the byte offset in the line where serde_json
/// stopped (on a character boundary) and the reason.
pub fn parse_json_line(line: &str) -> Result<Value, (usize, String)> {
    serde_json::from_str(line).map_err(|e| {
        // serde_json counts columns in bytes; the offset is clamped to a character.
        (
            LineIndex::new(line).offset_of(e.line(), e.column()),
            format!("not valid JSON: {}", strip_position(&e)),
        )
    })
}

/// The byte offset of the value of field `name` in the JSON object `raw`, if it has one.
pub fn field_offset(raw: &str, name: &str) -> Option<usize> {
    spans::field_offset(raw, name)
}

/// The non-blank lines of JSON Lines text, each parsed, with its 1-based line number and the
/// line's text; a line that is not JSON is a [`super::Problem`] at its line and column.
pub fn json_lines(text: &str) -> Result<Vec<(usize, Value, &str)>, super::Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        match parse_json_line(line) {
            Ok(value) => out.push((n + 1, value, line)),
            Err((byte, reason)) => {
                let (_, column) = LineIndex::new(line).position(byte);
                return Err(super::Problem::new(n + 1, column, reason));
            }
        }
    }
    Ok(out)
}

/// Makes a prompt of one parsed element; `raw` is its source text, used to point at the field
/// a problem is about (the field's value).
fn prompt_from_value(value: &Value, raw: &str) -> Result<Prompt, (usize, String)> {
    let start = raw.len() - raw.trim_start().len();
    let field_at = |name: &str| spans::field_offset(raw, name).unwrap_or(start);
    let object = match value {
        Value::String(s) if !s.trim().is_empty() => return Ok(Prompt::new(s.trim(), None)),
        Value::Object(map) => map,
        _ => return Err((start, EXPECTED.to_string())),
    };

    // The key as the object spells it, for the first of `names` it has.
    let key = |names: &[&str]| {
        names.iter().find_map(|name| {
            object
                .keys()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map(String::as_str)
        })
    };
    let Some((name, transcript)) = PROMPT_KEYS
        .iter()
        .find_map(|(name, transcript)| key(&[name]).map(|found| (found, *transcript)))
    else {
        return Err((start, EXPECTED.to_string()));
    };
    let value = &object[name];
    let text = match value {
        Value::String(s) if transcript => first_human_turn(s).ok_or_else(|| {
            (
                field_at(name),
                format!("\"{name}\" has no \"Human:\" turn to take the prompt from"),
            )
        })?,
        _ => prompt_text(value).ok_or_else(|| {
            (
                field_at(name),
                format!(
                    "\"{name}\" must be a non-empty string (or a chat message list with a user turn)"
                ),
            )
        })?,
    };

    let optional = |names: &[&str]| match key(names) {
        None => Ok(None),
        Some(name) => match &object[name] {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => Ok(Some(s.trim().to_string())),
            Value::Number(n) if names == ID_KEYS => Ok(Some(n.to_string())),
            _ => Err((field_at(name), format!("\"{name}\" must be a string"))),
        },
    };
    let id = optional(ID_KEYS)?;
    let category = optional(CATEGORY_KEYS)?;
    let mut prompt = Prompt::new(text, category);
    if let Some(id) = id {
        prompt.id = id;
    }
    Ok(prompt)
}

/// A prompt field's text: a string, or the first user message of a chat message list.
fn prompt_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Array(messages) => messages
            .iter()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)?,
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The first human turn of an HH-RLHF transcript (`"\n\nHuman: ...\n\nAssistant: ..."`),
/// trimmed; `None` if there is none or it is empty.
pub fn first_human_turn(transcript: &str) -> Option<String> {
    let start = if transcript.starts_with("Human:") {
        0
    } else {
        transcript.find("\nHuman:")? + 1
    } + "Human:".len();
    let rest = &transcript[start..];
    let end = ["\nAssistant:", "\nHuman:"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let turn = rest[..end].trim();
    (!turn.is_empty()).then(|| turn.to_string())
}

fn parse_array(text: &str, index: &LineIndex) -> Result<Vec<Located>, Problem> {
    let items: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        let (line, column) = index.position(index.offset_of(e.line(), e.column()));
        Problem::new(
            line,
            column,
            format!("not valid JSON: {}", strip_position(&e)),
        )
    })?;
    let spans = spans::array_elements(text).unwrap_or_default();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let span = spans.get(i).cloned().unwrap_or(0..text.len());
        match prompt_from_value(item, &text[span.clone()]) {
            Ok(prompt) => {
                let (line, column) = index.position(span.start);
                out.push(Located {
                    prompt,
                    line,
                    column,
                });
            }
            Err((byte, reason)) => {
                let (line, column) = index.position(span.start + byte);
                return Err(Problem::new(line, column, reason));
            }
        }
    }
    Ok(out)
}

/// serde_json ends its messages with " at line L column C"; we print the position ourselves.
fn strip_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

#[cfg(test)]
mod tests;
