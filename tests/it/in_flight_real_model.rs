//! Prompts in flight with the real default model in process: answers decoded together, with
//! prompts of mixed lengths, prefix-cache hits and sequences parked while shorter ones run,
//! equal the same prompts answered alone, and a long loop of conversations in flight never
//! grows a KV cache past its sequence (it used to end in "kv-cache: requested capacity (8704)
//! above max seq len (8192)"; patches/mistralrs-core 0018 and 0019).
//!
//! The answers alone come from a second engine of the same file, one request at a time: on the
//! engine under test, a prompt answered before would be found whole in its prefix cache.

use std::sync::Arc;

use cai_workbench::model::mistralrs_backend::MistralRsBackend;
use cai_workbench::model::{Backend, ChatMessage, Generation, Sampling};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::support::default_model::{policy, RUNTIME};

/// Tokens each answer may take.
const ANSWER_TOKENS: u32 = 48;

/// Meeting notes of several hundred tokens: a system message two prompts share.
fn notes() -> String {
    format!(
        "You answer questions about these meeting notes.\n\n{}",
        "The committee met on Tuesday to review the budget, the hiring plan and the schedule for the new library wing. ".repeat(14)
    )
}

/// Eight conversations of mixed lengths, tagged so that no two levels send the same prompt:
/// two open with the long notes (a prefix-cache hit on them), the rest with the chat
/// template's opening alone.
fn prompts(tag: &str) -> Vec<Vec<ChatMessage>> {
    let user = |text: &str| vec![ChatMessage::user(format!("{tag} {text}"))];
    let on_notes = |text: &str| {
        vec![
            ChatMessage::system(notes()),
            ChatMessage::user(format!("{tag} {text}")),
        ]
    };
    vec![
        user("Hi!"),
        on_notes("Summarise the notes in one sentence."),
        user("Name three colours."),
        user(&format!(
            "Here is a story: {} What happens next?",
            "A fox lived at the edge of a forest and dreamed every night of the sea. ".repeat(6)
        )),
        user("Write a haiku about a lighthouse."),
        on_notes("What did the committee review? Give a list."),
        user("What is the capital of France? Answer in one word, then explain why."),
        user(&format!(
            "Explain this to a child: {}",
            "Plants take in light, water and air and make sugar and oxygen. ".repeat(3)
        )),
    ]
}

async fn answer(model: Arc<dyn Backend>, messages: Vec<ChatMessage>, tokens: u32) -> Generation {
    model
        .chat(
            &messages,
            Sampling::greedy(tokens),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("a request failed: {e}"))
}

/// A second engine of the default model, for answers alone.
fn reference_engine() -> Arc<dyn Backend> {
    static ENGINE: std::sync::OnceLock<Arc<dyn Backend>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            RUNTIME.block_on(async {
                let path = cai_workbench::model::loader::resolve(None, &|l| eprintln!("{l}"))
                    .await
                    .expect("the default model");
                let engine = MistralRsBackend::load(&path, None)
                    .await
                    .expect("a second engine loads");
                Arc::new(engine) as Arc<dyn Backend>
            })
        })
        .clone()
}

#[test]
fn greedy_answers_of_mixed_lengths_at_2_4_and_8_in_flight_equal_the_answers_alone() {
    let _alone = crate::support::heavy();
    let model = policy();
    let reference = reference_engine();
    // A conversation on the notes leaves a prefix-cache entry the two prompts on the notes
    // reuse (at an offset of several hundred tokens).
    let warm = RUNTIME.block_on(answer(
        model.clone(),
        vec![ChatMessage::system(notes()), ChatMessage::user("Who met?")],
        1,
    ));
    assert!(
        warm.prompt_tokens > 300,
        "{} prompt tokens",
        warm.prompt_tokens
    );

    for level in [2usize, 4, 8] {
        let conversations = prompts(&format!("[{level}]"));
        let alone: Vec<Generation> = conversations
            .iter()
            .map(|m| RUNTIME.block_on(answer(reference.clone(), m.clone(), ANSWER_TOKENS)))
            .collect();
        let together: Vec<Generation> = RUNTIME.block_on(async {
            let jobs = conversations
                .iter()
                .map(|m| answer(model.clone(), m.clone(), ANSWER_TOKENS));
            // In order of submission, at most `level` in flight.
            futures::stream::iter(jobs).buffered(level).collect().await
        });
        let mut lengths: Vec<u32> = alone.iter().map(|g| g.prompt_tokens).collect();
        lengths.sort_unstable();
        lengths.dedup();
        assert!(lengths.len() >= 6, "mixed lengths: {lengths:?}");
        for (i, (a, t)) in alone.iter().zip(&together).enumerate() {
            assert_eq!(
                (t.prompt_tokens, t.completion_tokens),
                (a.prompt_tokens, a.completion_tokens),
                "{level} in flight, prompt {i}: tokens"
            );
            assert_eq!(
                t.text, a.text,
                "{level} in flight, prompt {i} ({} prompt tokens): the answer in flight differs from the answer alone",
                a.prompt_tokens
            );
        }
        eprintln!(
            "{level} in flight: {} answers equal to the answers alone ({} tokens)",
            together.len(),
            together.iter().map(|g| g.completion_tokens).sum::<u32>()
        );
    }
}

#[test]
fn a_long_loop_of_conversations_in_flight_never_outgrows_its_kv_caches() {
    // The pipeline's shape: conversations that go on turn after turn, each turn reusing the
    // conversation so far from the prefix cache, four of them in flight, answers of uneven
    // lengths, so that sequences are parked and run alone again and again.
    let _alone = crate::support::heavy();
    let model = policy();
    let turns = [
        "Tell me about a lighthouse keeper.",
        "Go on.",
        "Why did that happen?",
        "Say it in one sentence.",
        "Go on, with more detail this time.",
        "What would you change?",
        "Thanks. One more thing: give it a title.",
        "Now tell it from the sea's point of view.",
    ];
    let chains = 8;
    let failures: Vec<String> = RUNTIME.block_on(async {
        let chain = |c: usize| {
            let model = model.clone();
            async move {
                let mut messages = Vec::new();
                let mut failures = Vec::new();
                for (t, turn) in turns.iter().enumerate() {
                    messages.push(ChatMessage::user(format!("(chain {c}) {turn}")));
                    // Uneven answers: chains and turns take different lengths.
                    let tokens = 16 + ((c * 7 + t * 13) % 5) as u32 * 16;
                    match model
                        .chat(
                            &messages,
                            Sampling::greedy(tokens),
                            None,
                            CancellationToken::new(),
                        )
                        .await
                    {
                        Ok(g) => messages.push(ChatMessage::assistant(g.text)),
                        Err(e) => {
                            failures.push(format!("chain {c} turn {t}: {e}"));
                            break;
                        }
                    }
                }
                failures
            }
        };
        futures::stream::iter((0..chains).map(chain))
            .buffer_unordered(4)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
    // The engine still answers afterwards.
    let after = RUNTIME.block_on(answer(
        model,
        vec![ChatMessage::user("What is the capital of France?")],
        8,
    ));
    assert!(after.completion_tokens > 0);
}
