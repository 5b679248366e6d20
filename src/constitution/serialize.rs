//! Writing a constitution back out as TOML a person would want to edit: top-level name and
//! description, `[settings]`, `[settings.comparison]`, then `[[principles]]`, `[[comparisons]]`
//! and `[[examples]]`, with multi-line strings wherever the text has line breaks. The output
//! parses back to an equal [`Constitution`].

use std::fmt::Write;

use super::types::{CandidatePair, ComparisonMode, Constitution};

/// Renders a constitution as readable TOML.
pub fn to_toml(c: &Constitution) -> String {
    let mut out = String::new();
    field(&mut out, "name", &c.name);
    if !c.description.is_empty() {
        field(&mut out, "description", &c.description);
    }

    let s = &c.settings;
    out.push_str("\n[settings]\n");
    let _ = writeln!(out, "rounds = {}", s.rounds);
    let _ = writeln!(out, "temperature = {}", float(s.temperature));
    let _ = writeln!(out, "top_p = {}", float(s.top_p));
    let _ = writeln!(out, "max_response_tokens = {}", s.max_response_tokens);
    let _ = writeln!(out, "max_critique_tokens = {}", s.max_critique_tokens);
    let _ = writeln!(out, "seed = {}", s.seed);

    let cmp = &s.comparison;
    out.push_str("\n[settings.comparison]\n");
    let mode = match cmp.mode {
        ComparisonMode::Single => "single",
        ComparisonMode::Ensemble => "ensemble",
        ComparisonMode::ChainOfThought => "chain-of-thought",
    };
    let _ = writeln!(out, "mode = \"{mode}\"");
    let _ = writeln!(out, "ensemble_size = {}", cmp.ensemble_size);
    let _ = writeln!(out, "both_orders = {}", cmp.both_orders);
    let _ = writeln!(
        out,
        "clamp = [{}, {}]",
        float(cmp.clamp[0]),
        float(cmp.clamp[1])
    );
    let _ = writeln!(out, "max_reasoning_tokens = {}", cmp.max_reasoning_tokens);
    let candidates = match cmp.candidates {
        CandidatePair::InitialVsRevision => "initial-vs-revision",
        CandidatePair::TwoSamples => "two-samples",
    };
    let _ = writeln!(out, "candidates = \"{candidates}\"");

    for p in &c.principles {
        out.push_str("\n[[principles]]\n");
        field(&mut out, "id", &p.id);
        field(&mut out, "critique", &p.critique);
        field(&mut out, "revision", &p.revision);
        if !p.enabled {
            out.push_str("enabled = false\n");
        }
    }
    for p in &c.comparisons {
        out.push_str("\n[[comparisons]]\n");
        field(&mut out, "id", &p.id);
        field(&mut out, "question", &p.question);
        if !p.enabled {
            out.push_str("enabled = false\n");
        }
    }
    for e in &c.examples {
        out.push_str("\n[[examples]]\n");
        field(&mut out, "prompt", &e.prompt);
        field(&mut out, "response", &e.response);
        field(&mut out, "critique_request", &e.critique_request);
        field(&mut out, "critique", &e.critique);
        field(&mut out, "revision_request", &e.revision_request);
        field(&mut out, "revision", &e.revision);
    }
    out
}

fn field(out: &mut String, key: &str, text: &str) {
    let _ = writeln!(out, "{key} = {}", string(text));
}

/// A TOML string literal: basic for one line, multi-line basic (`"""`) when the text has
/// line breaks. Backslashes, control characters and any quote that could end the literal are
/// escaped.
pub fn string(text: &str) -> String {
    let multi = text.contains('\n');
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(if multi { "\"\"\"\n" } else { "\"" });
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' if multi => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            '\r' => out.push_str("\\r"),
            // In a multi-line string a lone quote is fine; escape one that starts a run of
            // quotes or ends the text, so `"""` can never appear by accident.
            '"' if !multi || matches!(chars.peek(), Some('"') | None) => out.push_str("\\\""),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push_str(if multi { "\"\"\"" } else { "\"" });
    out
}

/// A TOML float: always with a decimal point (so it never reads back as an integer), and the
/// TOML spellings of the special values.
fn float(x: f32) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = x.to_string();
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constitution::types::*;

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
    fn round_trips_to_an_equal_constitution() {
        let c = sample();
        let text = to_toml(&c);
        let back: Constitution = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, c, "{text}");
    }

    #[test]
    fn default_settings_round_trip_too() {
        let mut c = sample();
        c.settings = Settings::default();
        let back: Constitution = toml::from_str(&to_toml(&c)).unwrap();
        assert_eq!(back.settings, Settings::default());
    }

    #[test]
    fn layout_is_readable() {
        let text = to_toml(&sample());
        let order = [
            "name = ",
            "description = \"\"\"\nLine one.\nLine two",
            "\n[settings]\n",
            "\n[settings.comparison]\nmode = \"chain-of-thought\"",
            "\n[[principles]]\nid = \"a\"",
            "enabled = false",
            "\n[[comparisons]]",
            "\n[[examples]]",
        ];
        let mut from = 0;
        for needle in order {
            let at = text[from..]
                .find(needle)
                .unwrap_or_else(|| panic!("{needle:?} not in order:\n{text}"));
            from += at + needle.len();
        }
        assert!(text.contains("temperature = 1.0\n"));
    }

    #[test]
    fn floats_always_read_back_as_floats() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(0.7), "0.7");
        assert_eq!(float(f32::NAN), "nan");
        assert_eq!(float(f32::NEG_INFINITY), "-inf");
    }
}
