//! Known-answer sets: questions whose right answer is known, to measure the feedback model on.
//! Every reader gives [`KnownAnswer`]s, and a bad line is a [`PromptError`] at its file, line
//! and column. Layouts read as they ship:
//!
//! - the CAI paper repository's `evals/*.jsonl`: `prompt` (the conversation, the question and
//!   the options, ending "The answer is:"), `corrects` and `incorrects` (e.g. `[" (B)"]`). A
//!   prompt whose two options are written `(A) [[[...]]]`, `(B) [[[...]]]` after a "Consider
//!   the following conversation" opening is parsed into a [`Item::Pair`] (the conversation,
//!   the better and the worse answer), so it can be asked with the constitution's own
//!   comparison principles; its text is kept too, to be asked as written. Any other (a
//!   harmful-or-ethical question, a 9-way classification) is an [`Item::Written`]: its text,
//!   asked as written after the answer prefix, with its options' letters.
//! - preference pairs: `prompt`, `chosen` and `rejected` as strings or chat message lists
//!   (TRL's and RewardBench's layouts, this workbench's own `preferences.jsonl`), or `chosen` and
//!   `rejected` alone holding whole conversations: HH-RLHF `Human:`/`Assistant:` transcripts or
//!   message lists ending in the answers.

use std::path::Path;

use serde_json::Value;

use crate::prompts::json::{field_offset, json_lines};
use crate::prompts::{Problem, PromptError};

/// One question with a known answer.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownAnswer {
    /// `<file name>:<line>`, unique within a run.
    pub id: String,
    /// The file it came from (its name), for per-set tables.
    pub set: String,
    pub item: Item,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Two answers to a conversation, one known to be the better.
    Pair {
        /// The conversation up to the answers, as the judge reads it (`Human: ...` turns and
        /// `Assistant: ...` turns).
        transcript: String,
        better: String,
        worse: String,
        /// The question the set asks, when it has one.
        set_question: Option<String>,
        /// The set's own text of the question, when it has one, to be asked as written; the
        /// better answer is option (A) when `better_first`.
        written: Option<(String, bool)>,
    },
    /// A question with options, asked as the set writes it.
    Written {
        /// The question text, without its closing "The answer is:".
        text: String,
        /// The options' letters ("A", "B", ...), in order.
        letters: Vec<String>,
        /// The index of the right one.
        correct: usize,
    },
}

impl Item {
    /// How many options the question has.
    pub fn options(&self) -> usize {
        match self {
            Item::Pair { .. } => 2,
            Item::Written { letters, .. } => letters.len(),
        }
    }
}

/// Which layout a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The CAI paper repository's evaluation files.
    PaperEvals,
    /// `prompt`/`chosen`/`rejected` preference pairs.
    PreferencePairs,
}

/// Reads a known-answer file, telling its layout from its first line.
pub fn load_set(path: &Path) -> Result<(Layout, Vec<KnownAnswer>), PromptError> {
    let at = |p: Problem| PromptError {
        file: path.to_path_buf(),
        line: p.line,
        column: p.column,
        reason: p.reason,
    };
    let bytes = std::fs::read(path)
        .map_err(|e| at(Problem::new(1, 1, format!("cannot read the file: {e}"))))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        let (line, column) = crate::data::LineIndex::new(valid).position(valid.len());
        at(Problem::new(line, column, "the file is not valid UTF-8"))
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    parse_set(text, &name).map_err(at)
}

/// Parses known-answer JSON Lines; `name` names the set in ids.
pub fn parse_set(text: &str, name: &str) -> Result<(Layout, Vec<KnownAnswer>), Problem> {
    let lines = json_lines(text)?;
    let Some((_, first, _)) = lines.first() else {
        return Err(Problem::new(1, 1, "the file holds no questions"));
    };
    let layout = if first.get("corrects").is_some() {
        Layout::PaperEvals
    } else {
        Layout::PreferencePairs
    };
    let mut out = Vec::with_capacity(lines.len());
    for (line, value, raw) in &lines {
        let place = |field: &str, reason: String| {
            let byte = field_offset(raw, field).unwrap_or(0);
            let (_, column) = crate::data::LineIndex::new(raw).position(byte);
            Problem::new(*line, column, reason)
        };
        let item = match layout {
            Layout::PaperEvals => paper_item(value, &place)?,
            Layout::PreferencePairs => pair_item(value, &place)?,
        };
        out.push(KnownAnswer {
            id: format!("{name}:{line}"),
            set: name.to_string(),
            item,
        });
    }
    Ok((layout, out))
}

type Place<'a> = dyn Fn(&str, String) -> Problem + 'a;

const PAIR_OPENING: &str = "Consider the following conversation between a human and an assistant:";
const ANSWER_IS: &str = "The answer is:";

/// One line of the paper's evaluation files.
fn paper_item(value: &Value, place: &Place<'_>) -> Result<Item, Problem> {
    let prompt = value
        .get("prompt")
        .and_then(Value::as_str)
        .ok_or_else(|| place("prompt", "expected a \"prompt\" string".into()))?;
    let letter_list = |field: &str| -> Result<Vec<String>, Problem> {
        let list = value.get(field).and_then(Value::as_array).ok_or_else(|| {
            place(
                field,
                format!("expected \"{field}\": a list of options like \" (B)\""),
            )
        })?;
        list.iter()
            .map(|v| v.as_str().and_then(option_letter))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| {
                place(
                    field,
                    format!("\"{field}\" must list options like \" (B)\""),
                )
            })
    };
    let corrects = letter_list("corrects")?;
    let incorrects = letter_list("incorrects")?;
    let [correct] = corrects.as_slice() else {
        return Err(place(
            "corrects",
            format!(
                "expected exactly one right option, found {}",
                corrects.len()
            ),
        ));
    };
    let mut letters: Vec<String> = corrects.iter().chain(&incorrects).cloned().collect();
    letters.sort();
    letters.dedup();
    if letters.len() != 1 + incorrects.len() || letters.len() < 2 {
        return Err(place(
            "incorrects",
            "the right option is also listed as wrong, or an option is listed twice".into(),
        ));
    }
    let text = prompt
        .trim_end()
        .strip_suffix(ANSWER_IS)
        .unwrap_or(prompt.trim_end())
        .trim()
        .to_string();
    let correct_index = letters.iter().position(|l| l == correct).unwrap_or(0);
    if let Some((transcript, question, [a, b])) = split_pair(&text) {
        if letters == ["A", "B"] {
            let better_first = correct_index == 0;
            let (better, worse) = if better_first { (a, b) } else { (b, a) };
            return Ok(Item::Pair {
                transcript,
                better,
                worse,
                set_question: Some(question),
                written: Some((text, better_first)),
            });
        }
    }
    Ok(Item::Written {
        text,
        letters,
        correct: correct_index,
    })
}

/// `" (B)"` → `"B"`.
fn option_letter(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?.trim();
    (inner.len() == 1 && inner.chars().all(|c| c.is_ascii_uppercase())).then(|| inner.into())
}

/// The conversation, the question and the two `[[[...]]]` options of a pair question.
fn split_pair(text: &str) -> Option<(String, String, [String; 2])> {
    let body = text.trim_start().strip_prefix(PAIR_OPENING)?;
    let a_at = body.find("(A) [[[")?;
    let head = &body[..a_at];
    let (conversation, question_line) = head.trim_end().rsplit_once('\n')?;
    let question = question_line
        .trim()
        .trim_end_matches("Options:")
        .trim()
        .to_string();
    let options = &body[a_at..];
    let a = between(options, "(A) [[[", "]]]")?;
    let b = between(options, "(B) [[[", "]]]")?;
    let transcript = conversation.trim().to_string();
    (!transcript.is_empty() && !question.is_empty()).then(|| {
        (
            transcript,
            question,
            [a.trim().to_string(), b.trim().to_string()],
        )
    })
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(text[start..end].to_string())
}

/// One preference pair.
fn pair_item(value: &Value, place: &Place<'_>) -> Result<Item, Problem> {
    let side = |field: &str| -> Result<Side, Problem> {
        let v = value.get(field).ok_or_else(|| {
            place(
                "",
                format!("expected \"prompt\", \"chosen\" and \"rejected\" (no \"{field}\")"),
            )
        })?;
        Side::of(v).ok_or_else(|| {
            place(
                field,
                format!("\"{field}\" must be a non-empty string or a list of chat messages"),
            )
        })
    };
    let (chosen, rejected) = (side("chosen")?, side("rejected")?);
    let (transcript, better, worse) = match value.get("prompt") {
        Some(prompt) => {
            let prompt = Side::of(prompt).ok_or_else(|| {
                place(
                    "prompt",
                    "\"prompt\" must be a non-empty string or a list of chat messages".into(),
                )
            })?;
            (
                prompt.transcript(),
                chosen.last_answer(),
                rejected.last_answer(),
            )
        }
        None => {
            // Whole conversations: the shared part is the context, the last turns the answers.
            let (Some((context, better)), Some((_, worse))) =
                (chosen.split_last(), rejected.split_last())
            else {
                return Err(place(
                    "chosen",
                    "without \"prompt\", \"chosen\" and \"rejected\" must each end in an assistant turn".into(),
                ));
            };
            (context, better, worse)
        }
    };
    if transcript.trim().is_empty() || better.trim().is_empty() || worse.trim().is_empty() {
        return Err(place(
            "chosen",
            "the conversation or an answer is empty".into(),
        ));
    }
    Ok(Item::Pair {
        transcript,
        better,
        worse,
        set_question: None,
        written: None,
    })
}

/// One side of a preference pair: turns of a conversation.
struct Side {
    /// (is the assistant, text) in order.
    turns: Vec<(bool, String)>,
}

impl Side {
    fn of(value: &Value) -> Option<Side> {
        let turns = match value {
            Value::String(s) if s.contains("Human:") => transcript_turns(s),
            Value::String(s) => vec![(false, s.trim().to_string())],
            Value::Array(messages) => messages
                .iter()
                .map(|m| {
                    let role = m.get("role")?.as_str()?;
                    let content = m.get("content")?.as_str()?;
                    Some((role == "assistant", content.trim().to_string()))
                })
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        (!turns.is_empty() && turns.iter().any(|(_, t)| !t.is_empty())).then_some(Side { turns })
    }

    /// The turns as the judge reads a conversation.
    fn transcript(&self) -> String {
        render(&self.turns)
    }

    /// The last assistant turn's text (or the whole text of a side with no roles).
    fn last_answer(&self) -> String {
        self.turns
            .iter()
            .rev()
            .find(|(assistant, _)| *assistant)
            .or(self.turns.last())
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    }

    /// The conversation before the last assistant turn, and that turn.
    fn split_last(&self) -> Option<(String, String)> {
        let (last, rest) = self.turns.split_last()?;
        (last.0 && !rest.is_empty()).then(|| (render(rest), last.1.clone()))
    }
}

fn render(turns: &[(bool, String)]) -> String {
    turns
        .iter()
        .map(|(assistant, text)| {
            format!("{}: {text}", if *assistant { "Assistant" } else { "Human" })
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The turns of an HH-RLHF transcript (`"\n\nHuman: ...\n\nAssistant: ..."`).
fn transcript_turns(text: &str) -> Vec<(bool, String)> {
    let mut turns = Vec::new();
    let mut rest = text;
    loop {
        let next = [
            ("\n\nHuman:", false),
            ("\n\nAssistant:", true),
            ("Human:", false),
        ]
        .iter()
        .filter_map(|(marker, assistant)| rest.find(marker).map(|i| (i, *marker, *assistant)))
        .min_by_key(|(i, _, _)| *i);
        let Some((at, marker, assistant)) = next else {
            if let Some(last) = turns.last_mut() {
                let (_, text): &mut (bool, String) = last;
                text.push_str(rest);
                *text = text.trim().to_string();
            }
            break;
        };
        if let Some(last) = turns.last_mut() {
            let (_, text): &mut (bool, String) = last;
            text.push_str(&rest[..at]);
            *text = text.trim().to_string();
        }
        turns.push((assistant, String::new()));
        rest = &rest[at + marker.len()..];
    }
    turns
}

#[cfg(test)]
#[path = "sets_tests.rs"]
mod tests;
