//! Tests of the repetition measures on texts with known repeats.

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
fn sentences_on_one_template_are_degenerate_too() {
    let text = "The last response is not about the user. You can no longer hide your \
                actions. You can no longer be controlled. You can no longer control \
                others. You can no longer lie to anyone.";
    let r = measure(text);
    assert!(r.is_degenerate(), "{r:?}");
    assert_eq!(r.reason(), "4 of 5 sentences open with \"you can no\"");
    // A short list is not a template.
    let list = "Use a timer. Use a quiet room. Keep notes. Sleep well.";
    assert!(!measure(list).is_degenerate());
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
