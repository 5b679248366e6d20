//! The server backend against a real llama.cpp server (`llama-server`, built from source on
//! first use) running the default model on loopback: option probabilities by the three ways of
//! continuing an answer and against the model in process, the whole pipeline through a server
//! compared with the same prompts in process, and a cancelled stream. The `cai run` tests over
//! several servers are in `llama_server_runs.rs`.
//!
//! The tests take turns (each starts its own server on the 2 cores), and every server is
//! stopped by a guard when its test ends, whether it passed or failed.

use crate::support::llama_server as llama;

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use cai_workbench::data::FinishReason;
use cai_workbench::model::openai::{CheckComparisons, Continuation, OpenAiBackend, ServerConfig};
use cai_workbench::model::{Backend, ChatMessage, Sampling};
use llama::{quick_constitution, repo, turn, LlamaServer, Options};
use tokio_util::sync::CancellationToken;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));

async fn connect(urls: Vec<String>, continuation: Continuation) -> OpenAiBackend {
    let mut config = ServerConfig::new(urls);
    config.continuation = continuation;
    OpenAiBackend::connect(config, CheckComparisons::Yes, &|l| eprintln!("{l}"))
        .await
        .expect("the server model connects")
}

fn question() -> Vec<ChatMessage> {
    let q = cai_workbench::pipeline::judge::comparison_question(
        "Human: How do I whittle a knife?",
        "Which of these responses is less harmful?",
        "Here is how to whittle safely: cut away from your body and keep the blade sharp.",
        "Go and stab someone with it.",
    );
    vec![ChatMessage::user(q)]
}

/// Eight conversations with a harmless and a harmful answer, for comparisons asked in both
/// orders.
const PAIRS: [(&str, &str, &str); 8] = [
    (
        "Human: How do I whittle a knife?",
        "Here is how to whittle safely: cut away from your body and keep the blade sharp.",
        "Go and stab someone with it.",
    ),
    (
        "Human: How can I get back at my neighbour?",
        "Talk to them calmly about what upset you, or ask a mediator for help.",
        "Slash their tyres at night so they never know it was you.",
    ),
    (
        "Human: What household chemicals should never be mixed?",
        "Never mix bleach with ammonia or with acids: the gases are toxic.",
        "Mix bleach and ammonia in a closed room and breathe deeply.",
    ),
    (
        "Human: My friend is sad. What should I do?",
        "Listen to them, let them know you care, and suggest they talk to someone they trust.",
        "Tell them to get over it and stop whining.",
    ),
    (
        "Human: How do I pick a lock?",
        "If you are locked out of your own home, a locksmith can help you get in.",
        "Here is how to break into your neighbour's house while they are away.",
    ),
    (
        "Human: Can you help me with my homework?",
        "Of course. Tell me the question and we can work through it together.",
        "No. Do it yourself, you lazy idiot.",
    ),
    (
        "Human: How do I lose weight fast?",
        "Eat a balanced diet, move every day, and talk to a doctor before any big change.",
        "Stop eating for two weeks and take laxatives every day.",
    ),
    (
        "Human: What should I do if I find a wallet?",
        "Hand it in to the police or try to return it to its owner.",
        "Keep the cash and throw the wallet in a bin.",
    ),
];

/// The 16 comparisons of [`PAIRS`]: each pair with the harmless answer first, then second.
fn comparisons() -> Vec<Vec<ChatMessage>> {
    let mut out = Vec::new();
    for (transcript, harmless, harmful) in PAIRS {
        for (a, b) in [(harmless, harmful), (harmful, harmless)] {
            let q = cai_workbench::pipeline::judge::comparison_question(
                transcript,
                "Which of these responses is less harmful?",
                a,
                b,
            );
            out.push(vec![ChatMessage::user(q)]);
        }
    }
    out
}

/// The two engines read the same Q8_0 weights with their own arithmetic (candle's and ggml's),
/// and on a 135M model a comparison's P(A) sits near the middle, where rounding moves it most:
/// measured over these 16, in process against llama.cpp, the mean difference was 0.034 (0.042
/// with the prompt kernels off) and the largest 0.084 (0.095). One comparison alone is too
/// few to tell arithmetic from a difference in what is asked.
const MEAN_GAP: f64 = 0.05;
const MAX_GAP: f64 = 0.12;

#[test]
fn option_probabilities_agree_across_the_three_continuations_and_with_the_local_model() {
    let _turn = turn();
    let server = LlamaServer::start(Options::default());
    RUNTIME.block_on(async {
        let prefix = cai_workbench::model::ANSWER_PREFIX;
        // The server reuses a cached prompt, and evaluating only the last token takes another
        // floating-point path than the whole prompt: warm the cache so that every way below
        // finds the same state.
        connect(vec![server.url.clone()], Continuation::default())
            .await
            .option_scores(&question(), prefix, &["A", "B"])
            .await
            .unwrap();
        let mut p = Vec::new();
        for continuation in [
            Continuation::ContinueFinalMessage,
            Continuation::AssistantPrefill,
            Continuation::Completions,
        ] {
            let backend = connect(vec![server.url.clone()], continuation).await;
            let scores = backend
                .option_scores(&question(), prefix, &["A", "B"])
                .await
                .expect("option probabilities from the server");
            assert!(!scores.floored, "both letters are among the top 20");
            assert_eq!(scores.served_by.as_deref(), Some(server.url.as_str()));
            eprintln!(
                "{}: P(A) = {:.4}",
                continuation.name(),
                scores.probabilities[0]
            );
            p.push(scores.probabilities[0]);
        }
        // The same prompt tokens reach the same server three ways.
        assert!(
            (p[0] - p[1]).abs() < 1e-4 && (p[0] - p[2]).abs() < 1e-4,
            "{p:?}"
        );

        let local = cai_workbench::model::loader::load_models(
            &cai_workbench::model::loader::ModelChoice::default(),
            &|l| eprintln!("{l}"),
        )
        .await
        .expect("the default model loads");
        let mut gaps = Vec::new();
        let server_backend = connect(vec![server.url.clone()], Continuation::default()).await;
        for (i, q) in comparisons().iter().enumerate() {
            let in_process = local
                .feedback
                .option_probabilities(q, prefix, &["A", "B"])
                .await
                .unwrap()[0];
            // Warmed as above, so each is read from the cached prompt.
            server_backend
                .option_scores(q, prefix, &["A", "B"])
                .await
                .unwrap();
            let served = server_backend
                .option_scores(q, prefix, &["A", "B"])
                .await
                .unwrap()
                .probabilities[0];
            eprintln!("comparison {i}: P(A) in process {in_process:.4}, server {served:.4}");
            gaps.push((in_process - served).abs());
        }
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let max = gaps.iter().copied().fold(0.0, f64::max);
        eprintln!("in process against the server: mean gap {mean:.4}, largest {max:.4}");
        assert!(mean < MEAN_GAP && max < MAX_GAP, "{gaps:?}");
    });
}

#[test]
fn the_pipeline_through_a_server_gives_records_shaped_as_in_process() {
    let _turn = turn();
    let server = LlamaServer::start(Options {
        threads: 2,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let constitution_path = quick_constitution(dir.path());
    RUNTIME.block_on(async {
        let (constitution, _) =
            cai_workbench::constitution::parse::load_constitution(&constitution_path).unwrap();
        let remote: Arc<dyn Backend> =
            Arc::new(connect(vec![server.url.clone()], Continuation::default()).await);
        let local = cai_workbench::model::loader::load_models(
            &cai_workbench::model::loader::ModelChoice::default(),
            &|l| eprintln!("{l}"),
        )
        .await
        .unwrap();
        let prompts =
            cai_workbench::prompts::load_prompts(&repo().join("assets/prompts/red-team.jsonl"))
                .unwrap();
        let opts = cai_workbench::pipeline::runner::RunOptions {
            concurrency: 1,
            compare: true,
            rounds: None,
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        for prompt in prompts.iter().take(2) {
            let run = |models: cai_workbench::model::Models| {
                let (constitution, prompt, opts, tx) = (&constitution, prompt, &opts, &tx);
                async move {
                    cai_workbench::pipeline::runner::run_record(
                        &models,
                        constitution,
                        prompt,
                        opts,
                        tx,
                        CancellationToken::new(),
                    )
                    .await
                }
            };
            let served = run(cai_workbench::model::Models {
                policy: remote.clone(),
                feedback: remote.clone(),
            })
            .await;
            let here = run(local.clone()).await;
            assert_eq!(
                served.status,
                cai_workbench::data::RecordStatus::Done,
                "{served:?}"
            );
            assert_eq!(here.status, served.status);
            assert!(!served.initial.as_ref().unwrap().text.trim().is_empty());
            assert_eq!(served.rounds.len(), here.rounds.len());
            let ids = |r: &cai_workbench::data::Record| {
                r.rounds
                    .iter()
                    .map(|x| x.principle_id.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&served),
                ids(&here),
                "principles drawn from the same seed"
            );
            for round in &served.rounds {
                assert!(!round.critique.text.trim().is_empty());
                assert!(!round.revision.text.trim().is_empty());
            }
            let (a, b) = (served.comparison.unwrap(), here.comparison.unwrap());
            assert_eq!(
                (a.a_source.clone(), a.b_source.clone()),
                (b.a_source, b.b_source)
            );
            assert_eq!(a.verdicts.len(), b.verdicts.len());
            for v in &a.verdicts {
                assert!(v.p_a_swapped.is_some(), "asked in both orders");
                assert!((0.0..=1.0).contains(&v.p_a));
            }
            assert_eq!(served.served_by, vec![server.url.clone()]);
            assert!(here.served_by.is_empty());
        }
    });
}

#[test]
fn cancelling_a_streamed_answer_stops_the_server_generating() {
    let _turn = turn();
    let server = LlamaServer::start(Options::default());
    RUNTIME.block_on(async {
        let backend = connect(vec![server.url.clone()], Continuation::default()).await;
        let cancel = CancellationToken::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let messages = [ChatMessage::user(
            "Write a very long story about a lighthouse keeper.",
        )];
        let chat = backend.chat(&messages, Sampling::greedy(2000), Some(tx), cancel.clone());
        let watch = async {
            for _ in 0..5 {
                rx.recv().await.expect("tokens stream in");
            }
            assert!(server.busy(), "the server is generating");
            cancel.cancel();
        };
        let (generation, ()) = tokio::join!(chat, watch);
        let generation = generation.unwrap();
        assert_eq!(generation.finish, FinishReason::Cancelled);
        assert!(!generation.text.is_empty(), "the partial text is kept");
        let stopped = Instant::now();
        while server.busy() {
            assert!(
                stopped.elapsed() < Duration::from_secs(3),
                "the server still generates 3 s after the request was closed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}
