//! Repetition in generated text: how much of an answer repeats itself (the degenerate flag), a
//! detector that notices a generation looping while it streams (the early stop), and trimming
//! of the repeated tail a stopped loop leaves behind.
//!
//! The main measure is the share of repeated word n-grams, `1 - distinct / total` over the
//! word 4-grams of a text ("rep-4" in the degeneration literature): fluent prose of a few
//! sentences scores near 0, a text that cycles through the same sentence scores near 1.
//! Sampler penalties such as DRY forbid exact repeats but not their shape ("You can no longer
//! hide. You can no longer lie. You can no longer ..."), so two more signs count too: repeated
//! 3-grams, and sentences that keep opening with the same three words.

use std::collections::HashMap;

/// Words of the n-grams the measures count.
pub const NGRAM: usize = 4;

/// A text is degenerate when at least this share of its word 4-grams are repeats...
pub const DEGENERATE_SHARE: f64 = 0.3;

/// ...and it has at least this many 4-grams (shorter texts cannot show a pattern).
pub const MIN_NGRAMS: usize = 12;

/// A text is also degenerate when at least this share of its word 3-grams (12 or more) repeat.
pub const DEGENERATE_SHARE_3: f64 = 0.35;

/// ...or when half or more of its sentences (at least [`TEMPLATE_MIN_SENTENCES`] of three
/// words or more) open with the same three words.
pub const TEMPLATE_SHARE: f64 = 0.5;

/// See [`TEMPLATE_SHARE`].
pub const TEMPLATE_MIN_SENTENCES: usize = 4;

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
    /// Share of repeated word 3-grams.
    pub share_3: f64,
    /// The most common three-word sentence opening, how many sentences open with it, and
    /// how many sentences of three words or more there are.
    pub opening: Option<(String, usize, usize)>,
    /// The most repeated sentence, or failing that the most repeated 4-gram, with its count.
    pub example: Option<(String, usize)>,
}

impl Repetition {
    fn repeats_4grams(&self) -> bool {
        self.ngrams >= MIN_NGRAMS && self.share >= DEGENERATE_SHARE
    }

    fn repeats_3grams(&self) -> bool {
        self.ngrams + 1 >= MIN_NGRAMS && self.share_3 >= DEGENERATE_SHARE_3
    }

    fn repeats_openings(&self) -> bool {
        self.opening.as_ref().is_some_and(|(_, count, of)| {
            *of >= TEMPLATE_MIN_SENTENCES
                && *count >= 3
                && *count as f64 >= TEMPLATE_SHARE * *of as f64
        })
    }

    /// Whether the text counts as degenerate: repeated 4-grams ([`DEGENERATE_SHARE`]) or
    /// 3-grams ([`DEGENERATE_SHARE_3`]), or sentences on one template ([`TEMPLATE_SHARE`]).
    pub fn is_degenerate(&self) -> bool {
        self.repeats_4grams() || self.repeats_3grams() || self.repeats_openings()
    }

    /// One line saying what repeats, e.g. `48% of its 4-word phrases repeat; "It's a lie." 12
    /// times`, or `7 of 9 sentences open with "you can no"`.
    pub fn reason(&self) -> String {
        let mut line = if self.repeats_4grams() || !self.repeats_openings() {
            let (n, share) = if self.repeats_4grams() || !self.repeats_3grams() {
                (NGRAM, self.share)
            } else {
                (3, self.share_3)
            };
            format!("{:.0}% of its {n}-word phrases repeat", share * 100.0)
        } else {
            let (opening, count, of) = self.opening.clone().unwrap_or_default();
            return format!("{count} of {of} sentences open with \"{opening}\"");
        };
        if let Some((text, count)) = &self.example {
            line.push_str(&format!("; \"{}\" {count} times", clip(text, 60)));
        }
        line
    }
}

/// The most common three-word opening among the sentences of three words or more.
fn most_common_opening(text: &str) -> Option<(String, usize, usize)> {
    let openings: Vec<String> = sentences(text)
        .into_iter()
        .map(words)
        .filter(|w| w.len() >= 3)
        .map(|w| w[..3].join(" "))
        .collect();
    let mut best: Option<(String, usize)> = None;
    for opening in &openings {
        let count = openings.iter().filter(|o| *o == opening).count();
        if best.as_ref().is_none_or(|(_, b)| count > *b) {
            best = Some((opening.clone(), count));
        }
    }
    best.map(|(opening, count)| (opening, count, openings.len()))
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
        share_3: repeated_share(&words, 3),
        opening: most_common_opening(text),
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
mod tests;
