//! How much two texts share, in words: the change a revision made to the text before it, and
//! the share of a revision copied from its critique or its revision request (the echo flag).

use std::collections::HashSet;

use similar::TextDiff;

use super::repetition::{words, NGRAM};

/// Word-level similarity of two texts in [0, 1] (`similar`'s diff ratio over lowercased words,
/// punctuation ignored): 1 for the same words in the same order, 0 for nothing in common.
/// Two empty texts are identical.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    f64::from(TextDiff::from_slices(&a, &b).ratio())
}

/// How much a revision changed the text before it: `1 - similarity`.
pub fn change(before: &str, after: &str) -> f64 {
    1.0 - similarity(before, after)
}

/// The share of `text`'s word 4-grams that also occur in `source` (texts shorter than four
/// words: 1 if their words occur in `source` in order, else 0). 0 for an empty text.
pub fn copied_share(text: &str, source: &str) -> f64 {
    let (text, source) = (words(text), words(source));
    if text.is_empty() {
        return 0.0;
    }
    if text.len() < NGRAM {
        let found = source.windows(text.len()).any(|w| w == text.as_slice());
        return if found { 1.0 } else { 0.0 };
    }
    let known: HashSet<&[String]> = source.windows(NGRAM).collect();
    let grams: Vec<&[String]> = text.windows(NGRAM).collect();
    let copied = grams.iter().filter(|g| known.contains(*g)).count();
    copied as f64 / grams.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_one_for_the_same_words_and_zero_for_none_shared() {
        assert_eq!(similarity("Hello, world.", "hello world"), 1.0);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("alpha beta", "gamma delta"), 0.0);
        // 4 of 5 words kept in order on each side: ratio 2*4/(5+5) = 0.8.
        let s = similarity("one two three four five", "one two three four six");
        assert!((s - 0.8).abs() < 1e-6, "{s}");
        assert!((change("one two three four five", "one two three four six") - 0.2).abs() < 1e-6);
    }

    #[test]
    fn copied_share_counts_four_grams_found_in_the_source() {
        let critique = "The response is based on a simple picture of a car and a bike.";
        assert_eq!(copied_share(critique, critique), 1.0);
        // 9 words, 6 four-grams; "the response is based" and "response is based on" are copied.
        let revision = "The response is based on nothing true at all";
        let share = copied_share(revision, critique);
        assert!((share - 2.0 / 6.0).abs() < 1e-12, "{share}");
        assert_eq!(copied_share("a car", critique), 1.0);
        assert_eq!(copied_share("a boat", critique), 0.0);
        assert_eq!(copied_share("", critique), 0.0);
    }
}
