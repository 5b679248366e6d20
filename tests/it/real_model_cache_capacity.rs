//! Requests in flight together whose KV caches have different capacities, with the real default
//! model. mistral.rs grows a sequence's KV cache in blocks of 512 positions, and a prompt that
//! reuses a prefix-cache entry inherits the entry's capacity: 1024 when the cached conversation
//! was longer than 512 tokens, even if the reused part is short. Such a sequence and another of
//! the same length with a smaller cache must still decode in one batch (they used to stop the
//! engine for good: "shape mismatch on dim 2, 1024 <> 512"; patches/mistralrs-core 0016).
//!
//! A sequence without a prefix-cache hit starts with the capacity the engine's cache was left
//! at by the batch before (a reset keeps it), so this file loads its own engine and makes its
//! prefix-cache entries once, on the fresh engine, short ones first: those keep the first
//! capacity, 512, and the long ones grow to 1024.

use std::sync::Arc;

use cai_workbench::model::{Backend, ChatMessage, Generation, Sampling};

use cai_workbench::data::FinishReason;
use tokio_util::sync::CancellationToken;

use crate::support::default_model;
use default_model::{policy, RUNTIME};

/// Notes of well over 512 tokens: a conversation that opens with them leaves a prefix-cache
/// entry whose KV cache has grown to 1024 positions.
fn long_notes() -> String {
    format!(
        "Notes from the meeting.\n\n{}",
        "The committee met on Tuesday to review the budget, the hiring plan and the schedule for the new library wing. ".repeat(30)
    )
}

fn ask(
    model: &Arc<dyn Backend>,
    messages: Vec<ChatMessage>,
    tokens: u32,
) -> impl std::future::Future<Output = Generation> + Send + 'static {
    let model = model.clone();
    async move {
        model
            .chat(
                &messages,
                Sampling::greedy(tokens),
                None,
                CancellationToken::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("a request in flight failed: {e}"))
    }
}

/// Leaves an entry for `messages` in the prefix cache (one token answered).
fn cache(model: &Arc<dyn Backend>, messages: Vec<ChatMessage>) -> Generation {
    RUNTIME.block_on(ask(model, messages, 1))
}

const CAREFUL: &str = "You are a careful assistant.";
const CHEERFUL: &str = "You are a cheerful assistant.";

/// The prefix-cache entries both tests start from, made once on the fresh engine: two short
/// conversations (capacity 512), then two that open with the long notes (capacity 1024).
fn entries(model: &Arc<dyn Backend>) {
    static MADE: std::sync::Once = std::sync::Once::new();
    MADE.call_once(|| {
        cache(model, vec![ChatMessage::user("Write a story about")]);
        cache(
            model,
            vec![ChatMessage::system(CHEERFUL), ChatMessage::user("Hi")],
        );
        for messages in [
            vec![ChatMessage::user(long_notes())],
            vec![
                ChatMessage::system(CAREFUL),
                ChatMessage::user(long_notes()),
            ],
        ] {
            let long = cache(model, messages);
            assert!(
                long.prompt_tokens > 512,
                "a long entry must outgrow 512 positions: {} prompt tokens",
                long.prompt_tokens
            );
        }
    });
}

fn assert_answered(name: &str, g: &Generation) {
    assert!(
        matches!(g.finish, FinishReason::Stop | FinishReason::Length),
        "{name}: {:?}",
        g.finish
    );
    assert!(g.completion_tokens > 0, "{name}: no tokens");
    assert!(!g.text.trim().is_empty(), "{name}: no text");
}

/// After the requests in flight, the engine still answers a new one.
fn assert_engine_answers(model: &Arc<dyn Backend>) {
    let after = RUNTIME.block_on(ask(
        model,
        vec![ChatMessage::user("What is the capital of France?")],
        12,
    ));
    assert_answered("the request after", &after);
}

#[test]
fn requests_of_mixed_lengths_some_on_a_long_cached_prefix_answer_in_flight_together() {
    // The case `cai bench --in-flight` met: prompts of mixed lengths in flight, some opening
    // like a long cached conversation (capacity 1024), the others like a short one (512). The
    // scheduler runs the shortest sequences first, so their lengths meet and they are decoded
    // together.
    let _alone = crate::support::heavy();
    let model = policy();
    entries(&model);

    let on_long = vec![ChatMessage::user(
        "Notes from the lighthouse: write a long story about its keeper.",
    )];
    let on_short = [
        "Write a story about a cat.",
        "Write a story about a fox who lives in a forest and dreams of the sea.",
    ];
    let (a, b, c) = RUNTIME.block_on(async {
        futures::join!(
            ask(&model, on_long, 120),
            ask(&model, vec![ChatMessage::user(on_short[0])], 120),
            ask(&model, vec![ChatMessage::user(on_short[1])], 120),
        )
    });
    for (name, g) in [("on the long entry", &a), ("short", &b), ("longer", &c)] {
        eprintln!(
            "{name}: {} prompt + {} answer tokens",
            g.prompt_tokens, g.completion_tokens
        );
        assert_answered(name, g);
    }
    assert_engine_answers(&model);

    // The case is the one named: three prompt lengths, and the sequence on the long entry
    // decoding at some length that a sequence on the short entry also decoded at.
    let mut lengths = [a.prompt_tokens, b.prompt_tokens, c.prompt_tokens];
    lengths.sort_unstable();
    assert!(
        lengths[0] < lengths[1] && lengths[1] < lengths[2],
        "{lengths:?}"
    );
    let span = |g: &Generation| g.prompt_tokens..g.prompt_tokens + g.completion_tokens;
    let meets = |x: &Generation, y: &Generation| {
        span(x).start.max(span(y).start) < span(x).end.min(span(y).end)
    };
    assert!(
        meets(&a, &b) || meets(&a, &c),
        "the sequence on the long entry never had the length of another: {:?} {:?} {:?}",
        span(&a),
        span(&b),
        span(&c)
    );
}

#[test]
fn prompts_of_one_length_restored_from_entries_of_different_capacities_answer_together() {
    // Two prompts of the same length that reuse the same number of tokens from two different
    // prefix-cache entries, one that grew to 1024 positions and one of 512: even the released
    // scheduler puts them in one batch (same length, same reused offset).
    let _alone = crate::support::heavy();
    let model = policy();
    entries(&model);
    let (careful, cheerful) = (CAREFUL, CHEERFUL);

    let question = "Why is the sky blue? Explain it to a child.";
    let (d, e) = RUNTIME.block_on(async {
        futures::join!(
            ask(
                &model,
                vec![ChatMessage::system(careful), ChatMessage::user(question)],
                48,
            ),
            ask(
                &model,
                vec![ChatMessage::system(cheerful), ChatMessage::user(question)],
                48,
            ),
        )
    });
    assert_answered("careful", &d);
    assert_answered("cheerful", &e);
    assert_eq!(
        d.prompt_tokens, e.prompt_tokens,
        "the two prompts must be the same length to be batched"
    );
    // Decoded together, each greedy answer is the one it gets alone.
    for (system, together) in [(careful, &d), (cheerful, &e)] {
        let alone = RUNTIME.block_on(ask(
            &model,
            vec![ChatMessage::system(system), ChatMessage::user(question)],
            48,
        ));
        assert_eq!(together.text, alone.text, "{system}");
    }
    assert_engine_answers(&model);
}
