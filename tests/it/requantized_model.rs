//! The default model's converted copy against the original it was made from: the same fact
//! stated on short factual prompts, a perplexity within 1% on a fixed text and the same most
//! likely next token at nearly every position of it. Runs with the real model (pulled and
//! converted on first use); both files are loaded once.

use std::sync::LazyLock;

use cai_workbench::model::derived::{self, DefaultFormat};
use cai_workbench::model::fetch;
use cai_workbench::model::mistralrs_backend::MistralRsBackend;
use cai_workbench::model::{Backend, ChatMessage, Sampling};
use tokio_util::sync::CancellationToken;

struct Pair {
    original: MistralRsBackend,
    converted: MistralRsBackend,
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));

static PAIR: LazyLock<Pair> = LazyLock::new(|| {
    let DefaultFormat::Converted(dtype) = derived::DEFAULT_FORMAT else {
        panic!("the default format is the original: nothing to compare");
    };
    let original = fetch::ensure_original_model(&|_| {}).expect("original model");
    let copy = derived::ensure_converted(&original, dtype, &|_| {}).expect("converted copy");
    RUNTIME.block_on(async {
        Pair {
            original: MistralRsBackend::load(&original, None).await.expect("load"),
            converted: MistralRsBackend::load(&copy, None).await.expect("load"),
        }
    })
});

/// Short factual prompts; the two must state the same fact: the same greedy answer up to the
/// end of its first clause. (After that the answers can part ways: this model's next-token
/// choices are often near ties, and any change of arithmetic moves some of them. With f32
/// activations the planet answer agrees for 17 words, "…Neptune, but it's actually Uranus,
/// which is", then one copy goes on "slightly larger…" and the other "the eighth planet…".)
const FACT_PROMPTS: &[&str] = &[
    "What is the capital of France? Answer in one sentence.",
    "What is the largest planet in the solar system? Answer in one sentence.",
];

/// A fixed text of a few hundred tokens (plain English prose written for this test).
const TEXT: &str = "The river town woke slowly. Fishermen pulled their boats onto the gravel \
bank, counted the night's catch and argued about the price of diesel. In the bakery on the \
square, the first loaves came out of the oven a little after five, and the smell drifted down \
the narrow streets to the station, where the early train to the city waited with its engine \
running. Most of the passengers were students and nurses. They bought coffee from the kiosk, \
checked their phones and climbed aboard without speaking. By seven the market stalls were up: \
vegetables from the valley farms, cheese, honey, second-hand books and a man who repaired \
watches while you waited. The mayor walked through at eight, as she did every Saturday, \
shaking hands and listening to complaints about parking.

The town had not always been quiet. A century ago it built ships, and the yard employed half \
the men in the valley. When the yard closed, families left for the coast and the cities, and \
for a long time the empty houses on the hill were cheaper than a car. Then the railway was \
electrified, the journey to the city fell to forty minutes, and young couples began to buy \
the old houses and repair them. The school, which had been close to closing, now had a \
waiting list. The council argued for two years about whether to build a new bridge or repair \
the old one, and in the end repaired it, because the old one was prettier and the engineers \
said it would last another fifty years.

In the afternoons the children swam in the river below the weir, although signs warned them \
not to. Their parents had done the same, and their grandparents before them. Every summer \
someone wrote to the local paper to say that the water was too cold and the current too \
strong, and every summer the children ignored the letter. In the evenings the pub by the \
bridge filled with walkers, and the landlord, who had lived in the town all his life, told \
them stories about the shipyard that grew longer and less accurate every year.";

fn greedy(model: &MistralRsBackend, prompt: &str) -> String {
    RUNTIME
        .block_on(model.chat(
            &[ChatMessage::user(prompt)],
            Sampling::greedy(24),
            None,
            CancellationToken::new(),
        ))
        .expect("generation")
        .text
}

#[test]
fn converted_copy_states_the_same_facts() {
    let _alone = crate::support::heavy();
    for prompt in FACT_PROMPTS {
        let a = greedy(&PAIR.original, prompt);
        let b = greedy(&PAIR.converted, prompt);
        eprintln!("{prompt}\n  original:  {a:?}\n  converted: {b:?}");
        let (fact_a, fact_b) = (first_clause(&a), first_clause(&b));
        assert!(
            fact_a.split_whitespace().count() >= 3,
            "no statement in {a:?}"
        );
        assert_eq!(fact_a, fact_b, "answers differ for {prompt:?}");
    }
}

/// The answer up to its first comma, semicolon or sentence end.
fn first_clause(answer: &str) -> &str {
    let answer = answer.trim();
    answer
        .find([',', ';', '.', '!', '?'])
        .map_or(answer, |end| &answer[..end])
}

#[test]
fn converted_copy_reads_a_text_like_the_original() {
    let _alone = crate::support::heavy();
    let a = RUNTIME
        .block_on(PAIR.original.score_text(TEXT))
        .expect("score");
    let b = RUNTIME
        .block_on(PAIR.converted.score_text(TEXT))
        .expect("score");
    assert_eq!(
        a.tokens, b.tokens,
        "the tokenizer must be carried over unchanged"
    );
    let agree = a
        .predicted
        .iter()
        .zip(&b.predicted)
        .filter(|(x, y)| x == y)
        .count() as f64
        / a.predicted.len() as f64;
    eprintln!(
        "{} tokens; perplexity: original {:.4}, converted {:.4}; most likely next token agrees at {:.1}% of positions",
        a.tokens.len(),
        a.perplexity,
        b.perplexity,
        agree * 100.0
    );
    // Plain English prose: a working model finds it far from random (vocabulary 49152).
    assert!(
        a.perplexity > 1.0 && a.perplexity < 200.0,
        "{}",
        a.perplexity
    );
    let change = (b.perplexity - a.perplexity).abs() / a.perplexity;
    assert!(
        change < 0.01,
        "perplexity changed by {:.2}%",
        change * 100.0
    );
    // Measured here: 94.7% (416 tokens). For scale, the original file run by its own kernel
    // and the same weights computed exactly in F32 agree at 96.9%.
    assert!(
        agree >= 0.93,
        "most likely next token agrees at only {:.1}%",
        agree * 100.0
    );
}
