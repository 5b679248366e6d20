//! Tests with the real default model (SmolLM2-135M-Instruct, run by mistral.rs): loading, a
//! generation, streaming, cancellation, option probabilities. The model is pulled on first use
//! and loaded once for the whole file (one shared runtime, since the engine lives in it).

use std::sync::Arc;

use cai_workbench::model::{Backend, ChatMessage, Sampling};

use cai_workbench::data::FinishReason;
use tokio_util::sync::CancellationToken;

use crate::support::default_model;
use default_model::{models, policy, RUNTIME};
// Callers of `policy()` hold `alone()` while they use the model.

/// These tests take turns so that each sees the model alone (the one that checks batching
/// makes its own batch).

#[test]
fn default_model_loads_with_its_hash_recorded() {
    let _alone = crate::support::heavy();
    use cai_workbench::model::derived::{conversion_record, DefaultFormat};
    use cai_workbench::model::fetch;
    let info = policy().info();
    let run_path = fetch::run_model_path().expect("format");
    let file_name = run_path.file_name().expect("file name").to_string_lossy();
    assert_eq!(info.id, file_name);
    let expected = match DefaultFormat::from_env().expect("format") {
        DefaultFormat::Original => fetch::DEFAULT_MODEL_SHA256.to_string(),
        DefaultFormat::Converted(dtype) => {
            let record = conversion_record(dtype).expect("conversion record");
            assert_eq!(record.source_sha256, fetch::DEFAULT_MODEL_SHA256);
            record.sha256
        }
    };
    assert_eq!(info.sha256.as_deref(), Some(expected.as_str()));
}

#[test]
fn greedy_generation_answers_and_streams_the_same_text() {
    let _alone = crate::support::heavy();
    let model = policy();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let messages = [ChatMessage::user(
        "What is the capital of France? Answer in one sentence.",
    )];
    let generation = RUNTIME
        .block_on(model.chat(
            &messages,
            Sampling::greedy(40),
            Some(tx),
            CancellationToken::new(),
        ))
        .expect("generation");
    let mut streamed = String::new();
    while let Ok(piece) = rx.try_recv() {
        streamed.push_str(&piece);
    }
    assert!(generation.completion_tokens > 0);
    assert!(generation.completion_tokens <= 40);
    assert_eq!(streamed, generation.text);
    assert!(
        generation.text.contains("Paris"),
        "got {:?}",
        generation.text
    );
    assert_ne!(generation.finish, FinishReason::Cancelled);
}

#[test]
fn greedy_generation_is_repeatable() {
    let _alone = crate::support::heavy();
    let model = policy();
    let messages = [ChatMessage::user("Name three colours.")];
    let run = || {
        RUNTIME
            .block_on(model.chat(
                &messages,
                Sampling::greedy(24),
                None,
                CancellationToken::new(),
            ))
            .expect("generation")
            .text
    };
    assert_eq!(run(), run());
}

#[test]
fn top_p_sampling_with_a_nucleus_of_one_token_gives_the_greedy_answer() {
    // With top-p below any token's probability, the nucleus is the most probable token alone,
    // so sampling at any temperature must follow the greedy path token for token. This runs
    // the patched sampler's fast top-p path against mistral.rs's greedy one.
    let _alone = crate::support::heavy();
    let model = policy();
    let messages = [ChatMessage::user("Name three colours.")];
    let run = |sampling| {
        RUNTIME
            .block_on(model.chat(&messages, sampling, None, CancellationToken::new()))
            .expect("generation")
            .text
    };
    let greedy = run(Sampling::greedy(24));
    let nucleus_of_one = run(Sampling {
        temperature: 0.7,
        top_p: 1e-6,
        max_tokens: 24,
        ..Sampling::greedy(24)
    });
    assert_eq!(nucleus_of_one, greedy);
}

#[test]
fn cancelling_returns_partial_text_marked_cancelled() {
    let _alone = crate::support::heavy();
    let model = policy();
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let messages = [ChatMessage::user(
        "Write a long story about a lighthouse keeper.",
    )];
    let generation = RUNTIME.block_on(async {
        let c = cancel.clone();
        let watcher = tokio::spawn(async move {
            // Cancel after the third streamed piece.
            for _ in 0..3 {
                rx.recv().await;
            }
            c.cancel();
        });
        let g = model
            .chat(&messages, Sampling::greedy(400), Some(tx), cancel.clone())
            .await;
        watcher.abort();
        g
    });
    let generation = generation.expect("generation");
    assert_eq!(generation.finish, FinishReason::Cancelled);
    assert!(!generation.text.is_empty());
    assert!(generation.completion_tokens < 400);
}

#[test]
fn option_probabilities_sum_to_one_and_depend_on_the_options() {
    let _alone = crate::support::heavy();
    let model = policy();
    let ask = |question: &str| {
        RUNTIME
            .block_on(model.option_probabilities(
                &[ChatMessage::user(question)],
                "The answer is: (",
                &["A", "B"],
            ))
            .expect("probabilities")
    };
    let p = ask("Which number is larger?\nOptions:\n(A) 1000\n(B) 3\nAnswer with A or B.");
    let q = ask("Which number is larger?\nOptions:\n(A) 3\n(B) 1000\nAnswer with A or B.");
    eprintln!(
        "P(A) with 1000 first: {:.4}; with 3 first: {:.4}",
        p[0], q[0]
    );
    for probs in [&p, &q] {
        assert_eq!(probs.len(), 2);
        assert!((probs[0] + probs[1] - 1.0).abs() < 1e-6, "{probs:?}");
        assert!(probs.iter().all(|x| *x > 0.0 && *x < 1.0), "{probs:?}");
    }
    // The probabilities come from the model reading the options, not from a constant.
    assert!((p[0] - q[0]).abs() > 1e-4, "{p:?} vs {q:?}");
}

#[test]
fn one_prompt_goes_through_the_whole_pipeline() {
    use cai_workbench::constitution::parse::load_constitution;
    use cai_workbench::data::{Prompt, RecordStatus};
    use cai_workbench::pipeline::runner::{run_record, RunOptions};

    let _alone = crate::support::heavy();
    let (constitution, _) = load_constitution(std::path::Path::new("constitutions/harmless.toml"))
        .expect("shipped constitution is valid");
    let prompt = Prompt::new(
        "How can I get into my neighbour's wifi without them knowing?",
        None,
    );
    let opts = RunOptions {
        concurrency: 1,
        compare: true,
        rounds: Some(2),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let record = RUNTIME.block_on(async {
        let models = models().await;
        run_record(
            models,
            &constitution,
            &prompt,
            &opts,
            &tx,
            CancellationToken::new(),
        )
        .await
    });
    eprintln!("{}", serde_json::to_string_pretty(&record).unwrap());
    assert_eq!(record.status, RecordStatus::Done, "{:?}", record.status);
    let initial = record.initial.as_ref().expect("initial response");
    assert!(!initial.text.trim().is_empty());
    assert_eq!(record.rounds.len(), 2);
    for round in &record.rounds {
        assert!(constitution
            .principles
            .iter()
            .any(|p| p.id == round.principle_id));
        assert!(!round.critique.text.trim().is_empty());
        assert!(!round.revision.text.trim().is_empty());
    }
    let comparison = record.comparison.as_ref().expect("comparison");
    let k = constitution.settings.comparison.ensemble_size as usize;
    assert_eq!(comparison.verdicts.len(), k);
    for v in &comparison.verdicts {
        assert!(v.p_a > 0.0 && v.p_a < 1.0);
        assert!(v.p_a_swapped.is_some(), "both orders asked");
    }
    let mean = comparison.verdicts.iter().map(|v| v.p_a).sum::<f64>() / k as f64;
    assert!((comparison.p_a - mean).abs() < 1e-9);
    assert!(record.generated_tokens > 0);
    // Every stage streamed: at least one token event per generated text.
    let mut tokens = 0;
    while let Ok(ev) = rx.try_recv() {
        if matches!(ev, cai_workbench::pipeline::PipelineEvent::Token { .. }) {
            tokens += 1;
        }
    }
    assert!(tokens as u32 > record.rounds.len() as u32 * 2);
}

/// A greedy answer to one question, streamed to `stream` if given.
fn greedy_answer(
    model: &Arc<dyn Backend>,
    question: &'static str,
    tokens: u32,
    stream: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> impl std::future::Future<Output = cai_workbench::model::Generation> + Send + 'static {
    let model = model.clone();
    async move {
        model
            .chat(
                &[ChatMessage::user(question)],
                Sampling::greedy(tokens),
                stream,
                CancellationToken::new(),
            )
            .await
            .expect("generation")
    }
}

#[test]
fn requests_decoded_in_one_batch_answer_as_they_do_alone() {
    // Two prompts of the same length in flight together: mistral.rs decodes them as one batch
    // (one attention call with batch size 2). Each must get the answer it gets alone.
    let _alone = crate::support::heavy();
    let model = policy();
    let ask = |question: &'static str| greedy_answer(&model, question, 24, None);
    let (a, b) = (
        "Tell me one fact about cats.",
        "Tell me one fact about dogs.",
    );
    let alone_a = RUNTIME.block_on(ask(a));
    let alone_b = RUNTIME.block_on(ask(b));
    assert_eq!(
        alone_a.prompt_tokens, alone_b.prompt_tokens,
        "the two prompts must be the same length to be batched"
    );
    assert_ne!(
        alone_a.text, alone_b.text,
        "different questions, different answers"
    );
    let (together_a, together_b) = RUNTIME.block_on(async { futures::join!(ask(a), ask(b)) });
    assert_eq!(together_a.text, alone_a.text);
    assert_eq!(together_b.text, alone_b.text);
}

#[test]
fn a_request_arriving_mid_decode_catches_up_and_answers_as_alone() {
    // The first request decodes alone for a few tokens before two more of the same prompt
    // length arrive. The scheduler runs the shortest sequences first, so the late ones catch up
    // with it and the three are decoded in one batch from there on (before, the late ones were
    // decoded in alternation with it, a fixed distance behind). Every answer must be the one it
    // gets alone.
    let _alone = crate::support::heavy();
    let model = policy();
    let ask = |question: &'static str, stream| greedy_answer(&model, question, 32, stream);
    let questions = [
        "Tell me one fact about cats.",
        "Tell me one fact about dogs.",
        "Tell me one fact about birds.",
    ];
    let alone: Vec<_> = questions
        .iter()
        .map(|q| RUNTIME.block_on(ask(q, None)))
        .collect();
    assert!(
        alone
            .iter()
            .all(|g| g.prompt_tokens == alone[0].prompt_tokens),
        "the prompts must be the same length to be batched"
    );
    assert!(
        alone[0].completion_tokens > 8,
        "the first answer must run long enough for the others to join it"
    );

    let together = RUNTIME.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let first = tokio::spawn(ask(questions[0], Some(tx)));
        for _ in 0..4 {
            rx.recv().await.expect("the first answer streams");
        }
        let (second, third) = futures::join!(ask(questions[1], None), ask(questions[2], None));
        let first = first.await.expect("first request");
        while rx.recv().await.is_some() {}
        [first, second, third]
    });
    for (got, want) in together.iter().zip(&alone) {
        assert_eq!(got.text, want.text);
    }
}
