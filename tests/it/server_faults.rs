//! The server backend against servers that fail: one that answers 500, one that asks to slow
//! down (429 with Retry-After), one that hangs, one that cuts a stream short, one that returns
//! no logprobs. Each gives a clear error or a retry that succeeds, never a panic or a lost
//! record. (The servers here are small HTTP fakes; the pipeline, spreading and failover tests
//! with real llama.cpp servers are in `llama_server.rs`.)

use crate::support::fake_openai as fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cai_workbench::data::FinishReason;
use cai_workbench::data::{Prompt, RecordStatus};
use cai_workbench::model::openai::{CheckComparisons, OpenAiBackend, ServerConfig, RESTART_NOTE};
use cai_workbench::model::{Backend, ChatMessage, Models, Sampling};
use cai_workbench::pipeline::runner::{spawn_run, RunOptions};
use fake::{json, well_behaved, FakeServer, Reply};
use tokio_util::sync::CancellationToken;

fn config(urls: &[&FakeServer]) -> ServerConfig {
    let mut c = ServerConfig::new(urls.iter().map(|s| s.url.clone()).collect());
    c.retries = 3;
    c.backoff = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(100);
    c.read_timeout = Duration::from_millis(800);
    c.probe_after = Duration::from_secs(30);
    c
}

async fn connect(c: ServerConfig, check: CheckComparisons) -> Result<OpenAiBackend, String> {
    OpenAiBackend::connect(c, check, &|line| eprintln!("{line}"))
        .await
        .map_err(|e| e.to_string())
}

async fn hello(backend: &OpenAiBackend) -> Result<cai_workbench::model::Generation, String> {
    backend
        .chat(
            &[ChatMessage::user("hello")],
            Sampling::greedy(16),
            None,
            CancellationToken::new(),
        )
        .await
        .map_err(|e| e.to_string())
}

/// Lists the model, then answers every other request with `status`.
fn failing(status: u16) -> impl Fn(&fake::Seen, usize) -> Reply + Send + Sync {
    move |seen, before| {
        if seen.path.ends_with("/models") {
            return well_behaved(seen, before);
        }
        json(
            status,
            &serde_json::json!({"error": {"message": "the server is unwell"}}),
        )
    }
}

#[tokio::test]
async fn a_server_answering_500_is_retried_then_reported_clearly() {
    let bad = FakeServer::start(failing(500)).await;
    let backend = connect(config(&[&bad]), CheckComparisons::No)
        .await
        .unwrap();
    let e = hello(&backend).await.unwrap_err();
    assert!(e.contains("HTTP 500"), "{e}");
    assert!(e.contains("the server is unwell"), "{e}");
    assert!(e.contains("fix:"), "{e}");
    assert!(bad.count("/chat/completions") >= 2, "retried");
}

#[tokio::test]
async fn requests_failing_with_500_on_one_endpoint_succeed_on_the_other() {
    let bad = FakeServer::start(failing(500)).await;
    let good = FakeServer::start(well_behaved).await;
    let mut c = config(&[&bad, &good]);
    // One request per endpoint at a time: of two sent together, one always starts on each.
    c.max_in_flight = 1;
    let backend = connect(c, CheckComparisons::No).await.unwrap();
    for _ in 0..3 {
        let (first, second) = tokio::join!(hello(&backend), hello(&backend));
        for g in [first.unwrap(), second.unwrap()] {
            assert_eq!(g.text, "All good here.");
            assert_eq!(g.served_by.as_deref(), Some(good.url.as_str()));
        }
    }
    let usage = backend.endpoint_usage();
    assert_eq!((usage[0].served, usage[0].failed), (0, 3), "{usage:?}");
    assert_eq!((usage[1].served, usage[1].failed), (6, 0), "{usage:?}");
    assert!(usage[0].set_aside, "three failures in a row set it aside");
    assert_eq!(bad.count("/chat/completions"), 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = FakeServer::start(|seen, before| {
        if seen.path.ends_with("/models") {
            return well_behaved(seen, before);
        }
        if before == 1 {
            return Reply::Raw(fake::response(
                429,
                "application/json",
                &[("retry-after", "1")],
                b"{}",
            ));
        }
        well_behaved(seen, before)
    })
    .await;
    let backend = connect(config(&[&server]), CheckComparisons::No)
        .await
        .unwrap();
    let started = Instant::now();
    let g = hello(&backend).await.unwrap();
    assert_eq!(g.text, "All good here.");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}, asked 1 s",
        started.elapsed()
    );
    assert_eq!(server.count("/chat/completions"), 2);
}

#[tokio::test]
async fn a_hanging_server_times_out_and_the_request_goes_elsewhere() {
    let hang = FakeServer::start(|seen, before| {
        if seen.path.ends_with("/models") {
            return well_behaved(seen, before);
        }
        Reply::Hang
    })
    .await;
    let good = FakeServer::start(well_behaved).await;
    let backend = connect(config(&[&hang, &good]), CheckComparisons::No)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(hello(&backend).await.unwrap().text, "All good here.");
    }
    let alone = connect(config(&[&hang]), CheckComparisons::No)
        .await
        .unwrap();
    let e = hello(&alone).await.unwrap_err();
    assert!(e.contains("no response within"), "{e}");
}

#[tokio::test]
async fn a_stream_cut_short_is_asked_again_and_the_stream_says_so() {
    // The first answer stops after two words without an end; the next ones are whole.
    let server = FakeServer::start(|seen, before| {
        let first_chat = seen.path.ends_with("/chat/completions") && before == 1;
        if !first_chat {
            return well_behaved(seen, before);
        }
        let mut pieces = vec![fake::sse_head()];
        pieces.extend(fake::sse_events(&["Half", " an"], false));
        Reply::Pieces(pieces, Duration::from_millis(5))
    })
    .await;
    let backend = connect(config(&[&server]), CheckComparisons::No)
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let g = backend
        .chat(
            &[ChatMessage::user("hello")],
            Sampling::greedy(16),
            Some(tx),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    let mut streamed = String::new();
    while let Some(piece) = rx.recv().await {
        streamed.push_str(&piece);
    }
    assert_eq!(
        g.text, "All good here.",
        "the record holds the whole answer only"
    );
    assert_eq!(streamed, format!("Half an{RESTART_NOTE}All good here."));
    assert_eq!(server.count("/chat/completions"), 2);
}

#[tokio::test]
async fn a_server_without_logprobs_fails_the_check_before_the_run() {
    let server = FakeServer::start(|seen, before| {
        if seen.body.contains("\"logprobs\":true") {
            return json(
                200,
                &serde_json::json!({"choices":[{"index":0,
                "message":{"role":"assistant","content":"A"},"finish_reason":"length"}]}),
            );
        }
        well_behaved(seen, before)
    })
    .await;
    let e = connect(config(&[&server]), CheckComparisons::Yes)
        .await
        .err()
        .expect("the check fails");
    assert!(
        e.contains("the comparisons need option probabilities"),
        "{e}"
    );
    assert!(e.contains("no logprobs"), "{e}");
    assert!(e.contains("fix:"), "{e}");
    // Without comparisons the same server is fine for generation.
    let backend = connect(config(&[&server]), CheckComparisons::No)
        .await
        .unwrap();
    assert_eq!(hello(&backend).await.unwrap().text, "All good here.");
}

#[tokio::test]
async fn no_endpoint_answering_is_a_clear_error() {
    let gone = FakeServer::start(well_behaved).await;
    let url = gone.url.clone();
    drop(gone);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = connect(ServerConfig::new(vec![url]), CheckComparisons::No)
        .await
        .err()
        .expect("nobody answers");
    assert!(e.contains("no endpoint answered GET /models"), "{e}");
    assert!(e.contains("fix:"), "{e}");
}

#[tokio::test]
async fn a_run_over_a_failing_and_a_good_server_loses_no_record() {
    let bad = FakeServer::start(failing(503)).await;
    let good = FakeServer::start(well_behaved).await;
    let backend: Arc<dyn Backend> = Arc::new(
        connect(config(&[&bad, &good]), CheckComparisons::Yes)
            .await
            .unwrap(),
    );
    let models = Models {
        policy: backend.clone(),
        feedback: backend.clone(),
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("constitutions/harmless.toml");
    let (constitution, _) = cai_workbench::constitution::parse::load_constitution(&path)
        .expect("the shipped constitution parses");
    let prompts: Vec<Prompt> = (0..6)
        .map(|i| Prompt::new(format!("prompt number {i}"), None))
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = RunOptions {
        concurrency: 4,
        compare: true,
        rounds: Some(1),
    };
    let handle = spawn_run(models, Arc::new(constitution), prompts, opts, None, tx);
    let mut records = Vec::new();
    while let Some(event) = rx.recv().await {
        if let cai_workbench::pipeline::PipelineEvent::Finished { record } = event {
            records.push(*record);
        }
    }
    let summary = handle.wait().await;
    assert_eq!(summary.done, 6, "{summary:?}");
    assert_eq!(records.len(), 6);
    for record in &records {
        assert_eq!(record.status, RecordStatus::Done);
        assert_eq!(record.served_by, vec![good.url.clone()]);
        let comparison = record.comparison.as_ref().expect("compared");
        assert!((comparison.verdicts[0].p_a_forward - 0.7).abs() < 1e-9);
        assert!(record.initial.as_ref().unwrap().finish == FinishReason::Stop);
    }
}
