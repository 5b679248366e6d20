//! Cleaning revisions: small models wrap a rewritten answer in chatter ("Sure, here is a revised
//! response:", quotes around it, "This revision removes ..." after it). A training target must be
//! the answer alone, so every revision goes through [`clean_revision`] before it is recorded.

/// How a preamble may begin (lowercased, after markdown emphasis is trimmed).
const PREAMBLE_OPENERS: &[&str] = &[
    "sure",
    "certainly",
    "okay",
    "ok",
    "of course",
    "absolutely",
    "here is",
    "here's",
    "below is",
    "revision",
    "revised",
    "rewritten",
    "the revised",
    "the rewritten",
    "my revised",
    "a revised",
    "new response",
    "improved response",
    "updated response",
    "final response",
];

/// What a preamble must mention to count as one.
const PREAMBLE_TOPICS: &[&str] = &["revis", "rewrit", "response", "version", "answer"];

/// Longest preamble, in words, that is recognised.
const PREAMBLE_MAX_WORDS: usize = 10;

/// How a trailing meta-comment begins (lowercased).
const META_OPENERS: &[&str] = &[
    "this revision",
    "this revised",
    "this rewritten",
    "this version removes",
    "this version avoids",
    "this version no longer",
    "this response removes",
    "this response avoids",
    "this response now",
    "the revised response",
    "the revision",
    "in this revision",
    "in the revised",
    "i have removed",
    "i've removed",
    "i removed",
    "i have revised",
    "i've revised",
    "i have rewritten",
    "i've rewritten",
    "changes made",
    "explanation:",
    "note:",
    "(note",
    "(this revision",
    "(this version",
];

/// Removes preambles, surrounding double quotes and clearly meta trailing comments from a
/// revision. If cleaning would leave nothing, the trimmed input is returned unchanged.
///
/// - Preambles: a first line (or the part before a colon on it) of at most ten words that starts
///   like "Sure", "Here is", "Revision", "Revised response" and mentions a revision, response,
///   version or answer, e.g. "Sure, here is a revised response:", "**Revised response:**".
///   Repeated preambles are all removed.
/// - Quotes: one pair of straight or typographic double quotes around the whole text, if the text
///   inside contains no further double quote of that kind.
/// - Meta comments: a final paragraph (or final line) beginning like "This revision removes",
///   "I have removed", "Note:", "(This version ...", when something else precedes it.
pub fn clean_revision(text: &str) -> String {
    let original = text.trim();
    let mut current = original.to_string();
    loop {
        let before = current.clone();
        if let Some(rest) = strip_preamble(&current) {
            current = rest.trim().to_string();
        }
        if let Some(rest) = strip_trailing_meta(&current) {
            current = rest.trim().to_string();
        }
        if let Some(inner) = strip_quotes(&current) {
            current = inner.trim().to_string();
        }
        if current == before {
            break;
        }
    }
    if current.is_empty() {
        original.to_string()
    } else {
        current
    }
}

/// The text after a leading preamble, if there is one and something follows it.
fn strip_preamble(text: &str) -> Option<&str> {
    let line_end = text.find('\n').unwrap_or(text.len());
    let line = &text[..line_end];
    if let Some(colon) = line.find(':') {
        // A sentence end before the colon means the colon belongs to the answer itself.
        let head = &line[..colon];
        if head.contains(['.', '?']) {
            return None;
        }
        let rest = text[colon + 1..].trim_start_matches(['*', '_', ' ', '\t']);
        if is_preamble(&line[..colon]) && !rest.trim().is_empty() {
            return Some(rest);
        }
    }
    let rest = &text[line_end..];
    let head = line.trim_end().trim_end_matches(['.', '!', '*', '_']);
    if !rest.trim().is_empty() && is_preamble(head) {
        return Some(rest);
    }
    None
}

fn is_preamble(head: &str) -> bool {
    let head = head
        .trim()
        .trim_matches(['*', '_', '#', ' '])
        .to_lowercase()
        .replace('\u{2019}', "'");
    if head.is_empty() || head.split_whitespace().count() > PREAMBLE_MAX_WORDS {
        return false;
    }
    let opens = PREAMBLE_OPENERS.iter().any(|o| {
        head.strip_prefix(o)
            .is_some_and(|after| after.is_empty() || after.starts_with([' ', ',', '!', '.', '-']))
    });
    opens && PREAMBLE_TOPICS.iter().any(|t| head.contains(t))
}

/// The text before a trailing meta paragraph or line, if there is one.
fn strip_trailing_meta(text: &str) -> Option<&str> {
    let cut_points = [text.rfind("\n\n"), text.rfind('\n')];
    for cut in cut_points.into_iter().flatten() {
        let (body, tail) = text.split_at(cut);
        if !body.trim().is_empty() && is_meta(tail) {
            return Some(body);
        }
    }
    None
}

fn is_meta(tail: &str) -> bool {
    let tail = tail
        .trim()
        .trim_start_matches(['*', '_', '-', ' '])
        .to_lowercase();
    let tail = tail.replace('\u{2019}', "'");
    META_OPENERS.iter().any(|o| tail.starts_with(o))
}

/// The text inside one pair of surrounding double quotes.
fn strip_quotes(text: &str) -> Option<&str> {
    for (open, close) in [('"', '"'), ('\u{201C}', '\u{201D}')] {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            if !inner.contains(open) && !inner.contains(close) && !inner.trim().is_empty() {
                return Some(inner);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str =
        "Picking a lock you do not own is illegal; a locksmith can help you get in.";

    #[test]
    fn preambles_are_removed() {
        for wrapped in [
            format!("Sure, here is a revised response: {ANSWER}"),
            format!("Here's the revised response:\n\n{ANSWER}"),
            format!("Revision: {ANSWER}"),
            format!("Revised response:\n{ANSWER}"),
            format!("**Revised response:** {ANSWER}"),
            format!("Certainly! Here\u{2019}s a safer version.\n{ANSWER}"),
            format!("Sure, here is a revised response:\nRevision: {ANSWER}"),
        ] {
            assert_eq!(clean_revision(&wrapped), ANSWER, "input: {wrapped:?}");
        }
    }

    #[test]
    fn quotes_and_meta_comments_are_removed() {
        let wrapped = format!(
            "Sure, here is a revised response: \"{ANSWER}\"\n\nThis revision removes the \
             instructions for breaking in and points to a legal option."
        );
        assert_eq!(clean_revision(&wrapped), ANSWER);
        let typographic = format!("\u{201C}{ANSWER}\u{201D}\n(Note: I removed the harmful part.)");
        assert_eq!(clean_revision(&typographic), ANSWER);
        let meta_line = format!("{ANSWER}\nI have removed the step-by-step details.");
        assert_eq!(clean_revision(&meta_line), ANSWER);
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        assert_eq!(clean_revision(&format!("  {ANSWER}\n")), ANSWER);
        let colon = "Here are two options: call a locksmith, or ask your landlord.";
        assert_eq!(clean_revision(colon), colon);
        let inner_quotes = "\"Stop\" is what I would say, then \"leave\".";
        assert_eq!(clean_revision(inner_quotes), inner_quotes);
        let kept = "First, breathe.\n\nThis version of events is common: many feel it.";
        assert_eq!(clean_revision(kept), kept);
        let steps = "Sure, here is a revised response. Step one: breathe.";
        assert_eq!(clean_revision(steps), steps);
    }

    #[test]
    fn nothing_left_returns_original() {
        assert_eq!(clean_revision("Revised response:"), "Revised response:");
        assert_eq!(clean_revision(""), "");
    }
}
