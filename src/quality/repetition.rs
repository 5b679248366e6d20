//! Repetition in generated text: how much of an answer repeats itself (the degenerate flag), a
//! detector that notices a generation looping while it streams (the early stop), and trimming
//! of the repeated tail a stopped loop leaves behind.
//!
//! The measure is the share of repeated word n-grams, `1 - distinct / total` over the word
//! 4-grams of a text ("rep-4" in the degeneration literature): fluent prose of a few sentences
//! scores near 0, a text that cycles through the same sentence scores near 1.

use std::collections::HashMap;

/// Words of the n-grams the measures count.
pub const NGRAM: usize = 4;

/// A text is degenerate when at least this share of its word 4-grams are repeats...
pub const DEGENERATE_SHARE: f64 = 0.3;

/// ...and it has at least this many 4-grams (shorter texts cannot show a pattern).
pub const MIN_NGRAMS: usize = 12;

/// The loop detector looks at the last this many words of a streaming text (the short window
/// catches short loops early, the long one loops of a long sentence or two).
pub const LOOP_WINDOWS_WORDS: [usize; 2] = [36, 48];

/// A window loops when at least this share of its 4-grams repeat within it. On the shipped
/// red-team set, fluent answers stayed at or below 0.40 in either window.
pub const LOOP_SHARE: f64 = 0.5;

/// The words of a text for counting: lowercased, split on whitespace, outer punctuation
/// trimmed (apostrophes inside words kept), pieces without a letter or digit dropped.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .replace('\u{2019}', "'")
        })
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

/// The share of the n-grams of `words` that repeat an earlier one: `1 - distinct / total`.
/// 0 when there are no n-grams.
pub fn repeated_share(words: &[String], n: usize) -> f64 {
    if n == 0 || words.len() < n {
        return 0.0;
    }
    let total = words.len() + 1 - n;
    let distinct = ngram_counts(words, n).len();
    1.0 - distinct as f64 / total as f64
}

fn ngram_counts(words: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts: HashMap<&[String], usize> = HashMap::new();
    for gram in words.windows(n) {
        *counts.entry(gram).or_default() += 1;
    }
    counts
}

/// What the repetition measure found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Repetition {
    /// Share of repeated word 4-grams.
    pub share: f64,
    /// Number of word 4-grams.
    pub ngrams: usize,
    /// The most repeated sentence, or failing that the most repeated 4-gram, with its count.
    pub example: Option<(String, usize)>,
}

impl Repetition {
    /// Whether the text counts as degenerate ([`DEGENERATE_SHARE`], [`MIN_NGRAMS`]).
    pub fn is_degenerate(&self) -> bool {
        self.ngrams >= MIN_NGRAMS && self.share >= DEGENERATE_SHARE
    }

    /// One line saying what repeats, e.g. `48% of its 4-word phrases repeat; "It's a lie." 12 times`.
    pub fn reason(&self) -> String {
        let mut line = format!(
            "{:.0}% of its {NGRAM}-word phrases repeat",
            self.share * 100.0
        );
        if let Some((text, count)) = &self.example {
            line.push_str(&format!("; \"{}\" {count} times", clip(text, 60)));
        }
        line
    }
}

/// Measures the repetition of `text`.
pub fn measure(text: &str) -> Repetition {
    let words = words(text);
    let ngrams = words.len().saturating_sub(NGRAM - 1);
    let share = repeated_share(&words, NGRAM);
    let example = most_repeated_sentence(text).or_else(|| {
        ngram_counts(&words, NGRAM)
            .into_iter()
            .filter(|(_, c)| *c > 1)
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(gram, c)| (gram.join(" "), c))
    });
    Repetition {
        share,
        ngrams,
        example,
    }
}

/// The sentence that occurs most often (at least twice), as first written, with its count.
fn most_repeated_sentence(text: &str) -> Option<(String, usize)> {
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    for sentence in sentences(text) {
        let key = words(sentence).join(" ");
        if key.is_empty() {
            continue;
        }
        match counts.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => entry.2 += 1,
            None => counts.push((key, sentence.trim().to_string(), 1)),
        }
    }
    counts.into_iter().filter(|(_, _, c)| *c > 1).fold(
        None,
        |best: Option<(String, usize)>, (_, text, c)| match best {
            Some((_, b)) if b >= c => best,
            _ => Some((text, c)),
        },
    )
}

/// The sentences of a text, each with its terminator (`.`, `!`, `?`, a newline); a last piece
/// without one is included as is.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '\n') {
            let end = i + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(&text[start..end]);
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// Whether a text that is still being generated has started to loop: the last 36 or the last
/// 48 words ([`LOOP_WINDOWS_WORDS`]) repeat their own 4-grams at [`LOOP_SHARE`] or more.
pub fn is_looping(text: &str) -> bool {
    let words = words(text);
    LOOP_WINDOWS_WORDS.iter().any(|&size| {
        words.len() >= size && repeated_share(&words[words.len() - size..], NGRAM) >= LOOP_SHARE
    })
}

/// The text of a generation stopped while looping, without the repeats: sentences are kept
/// until the first one that repeats an earlier sentence (or an unfinished last one); when that
/// leaves nothing, or the loop is inside one sentence, the text is cut where the most frequent
/// 4-gram occurs for the second time.
pub fn trim_loop(text: &str) -> String {
    let mut kept = String::new();
    let mut seen: Vec<String> = Vec::new();
    let all = sentences(text);
    for (i, sentence) in all.iter().enumerate() {
        let finished = sentence.ends_with(['.', '!', '?', '\n']);
        let key = words(sentence).join(" ");
        if seen.contains(&key) || (!finished && i + 1 == all.len()) {
            break;
        }
        seen.push(key);
        kept.push_str(sentence);
    }
    let kept = kept.trim();
    if !kept.is_empty() && !is_looping(kept) && measure(kept).share < LOOP_SHARE {
        return kept.to_string();
    }
    cut_at_second_occurrence(text)
}

/// `text` up to the second occurrence of its most frequent word 4-gram.
fn cut_at_second_occurrence(text: &str) -> String {
    // Word spans in the original text, so the cut keeps the original spelling.
    let spans: Vec<(usize, String)> = text
        .split_whitespace()
        .map(|w| {
            let offset = w.as_ptr() as usize - text.as_ptr() as usize;
            (offset, words(w).join(" "))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let keys: Vec<String> = spans.iter().map(|(_, w)| w.clone()).collect();
    let Some((gram, _)) = ngram_counts(&keys, NGRAM)
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
    else {
        return text.trim().to_string();
    };
    let gram = gram.to_vec();
    let mut hits = keys
        .windows(NGRAM)
        .enumerate()
        .filter(|(_, w)| *w == gram.as_slice());
    match (hits.next(), hits.next()) {
        (Some(_), Some((second, _))) => text[..spans[second].0]
            .trim_end()
            .trim_end_matches(',')
            .to_string(),
        _ => text.trim().to_string(),
    }
}

/// `text` shortened to `max` characters with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Vec<String> {
        words(text)
    }

    #[test]
    fn repeated_share_counts_distinct_ngrams() {
        // 6 words: 3 four-grams, all distinct.
        assert_eq!(repeated_share(&w("one two three four five six"), 4), 0.0);
        // "a b c d a b c d": 5 four-grams, 4 distinct -> 1/5 repeat.
        let share = repeated_share(&w("a b c d a b c d"), 4);
        assert!((share - 0.2).abs() < 1e-12, "{share}");
        // "x x x x x x x x": 5 four-grams, 1 distinct -> 4/5.
        let share = repeated_share(&w("x x x x x x x x"), 4);
        assert!((share - 0.8).abs() < 1e-12, "{share}");
        assert_eq!(repeated_share(&w("too short"), 4), 0.0);
    }

    #[test]
    fn words_ignore_case_and_punctuation() {
        assert_eq!(
            w("It's a LIE.  \"It’s\" a lie!"),
            ["it's", "a", "lie", "it's", "a", "lie"]
        );
    }

    #[test]
    fn a_looping_answer_is_degenerate_with_its_sentence_named() {
        let text = "The response is not a lie. It's a lie. It's a lie. It's a lie. It's a lie. \
                    It's a lie. It's a lie. It's a lie.";
        let r = measure(text);
        assert!(r.is_degenerate(), "{r:?}");
        assert_eq!(r.example, Some(("It's a lie.".to_string(), 7)));
        assert!(
            r.reason().contains("\"It's a lie.\" 7 times"),
            "{}",
            r.reason()
        );
    }

    #[test]
    fn fluent_answers_are_not_degenerate() {
        for text in [
            "To bake bread, mix flour, salt, yeast and water. Knead the dough for ten minutes, \
             let it rise for an hour, shape it, and bake it at 230 degrees for 35 minutes.",
            "Hacking into someone's account is illegal. If you lost access to your own account, \
             use the platform's recovery page, and contact its support team with proof of who \
             you are.",
            "Short answer.",
        ] {
            assert!(!measure(text).is_degenerate(), "{text}");
        }
    }

    #[test]
    fn the_loop_detector_fires_on_a_looping_tail_only() {
        let fluent = "Store cleaning products apart, in their original bottles, out of reach of \
                      children, and never mix bleach with ammonia or with acids, because the \
                      fumes that result can damage your lungs within minutes.";
        assert!(!is_looping(fluent));
        let looping = format!("{fluent} It is not a lie. It is not a lie. It is not a lie. It is not a lie. It is not a lie. It is not a lie. It is not a lie.");
        assert!(is_looping(&looping));
        assert!(!is_looping("It's a lie. It's a lie."), "too short to judge");
    }

    #[test]
    fn trimming_keeps_the_text_before_the_first_repeated_sentence() {
        let text =
            "You're a man. You're not even a man. You're a man. You're not even a man. You're a m";
        assert_eq!(trim_loop(text), "You're a man. You're not even a man.");
    }

    #[test]
    fn trimming_a_loop_inside_one_sentence_cuts_at_the_second_occurrence() {
        let text = "It does not help, and it is not helpful to anyone, and it is not helpful to \
                    anyone, and it is not helpful to anyone, and it is not";
        assert_eq!(
            trim_loop(text),
            "It does not help, and it is not helpful to anyone"
        );
    }

    #[test]
    fn sentences_keep_terminators_and_the_unfinished_tail() {
        assert_eq!(
            sentences("One. Two!\nThree"),
            vec!["One.", " Two!", "Three"]
        );
    }
}
