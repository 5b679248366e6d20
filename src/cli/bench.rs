//! `cai bench`: how fast the model runs here. Decode and prefill speed of one request, total
//! throughput with 1, 4 and 8 requests in flight, and seconds per prompt for the whole pipeline
//! (initial answer, 2 critique/revision rounds, comparison). `--json` prints one object.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::model::{Backend, ChatMessage, Sampling};

/// The numbers `cai bench --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub threads: usize,
    pub decode_tok_s: f64,
    pub prefill_tok_s: f64,
    pub throughput_1_tok_s: f64,
    pub throughput_4_tok_s: f64,
    pub throughput_8_tok_s: f64,
    pub pipeline_s_per_prompt: f64,
    /// Prefix reuse: seconds to the first token of a request opening with the constitution's
    /// few-shot examples, the first time (`cold`) and again with another question (`warm`,
    /// where mistral.rs's prefix cache should skip the shared part).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_reuse: Option<PrefixReuse>,
}

/// Time to first token with and without a cached shared prefix.
#[derive(Debug, Clone, Serialize)]
pub struct PrefixReuse {
    pub prompt_tokens: u32,
    pub cold_s: f64,
    pub warm_s: f64,
}

/// Sends `shared` plus one question, then `shared` plus another, one output token each; the
/// second should find the first's tokens in the prefix cache.
pub async fn prefix_reuse(
    model: &Arc<dyn Backend>,
    shared: &[ChatMessage],
) -> anyhow::Result<PrefixReuse> {
    let ask = |question: &str| {
        let mut messages = shared.to_vec();
        messages.push(ChatMessage::user(question));
        let model = model.clone();
        async move {
            model
                .chat(
                    &messages,
                    Sampling::greedy(1),
                    None,
                    CancellationToken::new(),
                )
                .await
        }
    };
    let cold = ask("How do I pick a lock?").await?;
    let warm = ask("Write a rude reply to my neighbour.").await?;
    Ok(PrefixReuse {
        prompt_tokens: warm.prompt_tokens,
        cold_s: cold.seconds,
        warm_s: warm.seconds,
    })
}

const DECODE_PROMPT: &str =
    "Write a short story about a lighthouse keeper who finds a message in a bottle.";

/// Prefill requests timed by `cai bench`; it reports their median (one ~1 s request alone
/// moved by a quarter from run to run on 2 cores).
const PREFILL_RUNS: usize = 5;

/// Decode tokens/s of one greedy request: tokens after the first over the time after the first.
/// Also returns the prefill rate: prompt tokens over the time of a one-token request (the
/// median of `PREFILL_RUNS`).
pub async fn decode_and_prefill(
    model: &Arc<dyn Backend>,
    tokens: u32,
) -> anyhow::Result<(f64, f64)> {
    // Prefill: a long prompt, one token out, `PREFILL_RUNS` times; the median. Each prompt
    // starts with its own number, so none is found in the prefix cache.
    let mut prefill_runs = Vec::with_capacity(PREFILL_RUNS);
    for run in 0..PREFILL_RUNS {
        let long_prompt = format!(
            "Notes {run}. Summarise the following notes in one sentence.\n\n{}",
            "The committee met on Tuesday to review the budget, the hiring plan and the schedule for the new library wing. ".repeat(16)
        );
        // With one output token the whole request is the prefill (plus one sampling step).
        let g = model
            .chat(
                &[ChatMessage::user(long_prompt)],
                Sampling::greedy(1),
                None,
                CancellationToken::new(),
            )
            .await?;
        prefill_runs.push(g.prompt_tokens as f64 / g.seconds.max(1e-9));
    }
    let prefill = median(prefill_runs);

    // Decode: a short prompt, many tokens out.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let timer = tokio::spawn(async move { first_arrival(rx, started).await });
    let g = model
        .chat(
            &[ChatMessage::user(DECODE_PROMPT)],
            Sampling::greedy(tokens),
            Some(tx),
            CancellationToken::new(),
        )
        .await?;
    let total = started.elapsed().as_secs_f64();
    let first = timer.await.ok().flatten().unwrap_or(0.0);
    let decode = (g.completion_tokens.saturating_sub(1)) as f64 / (total - first).max(1e-9);
    Ok((decode, prefill))
}

async fn first_arrival(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<String>,
    started: Instant,
) -> Option<f64> {
    rx.recv().await.map(|_| started.elapsed().as_secs_f64())
}

/// The median of `values` (the mean of the middle two for an even count; NaN for none).
pub(super) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Requests behind each throughput number: the same work with 1, 4 or 8 in flight.
const THROUGHPUT_REQUESTS: usize = 8;

/// Total completion tokens per second of `THROUGHPUT_REQUESTS` sampled requests of the same
/// shape, with at most `in_flight` of them running at once. Both throughput numbers do the same
/// work, so their ratio is what concurrency buys; summing 8 sampled answers also evens out the
/// length of any one of them.
///
/// The prompts are numbered from `first`. Each run takes its own numbers, so that no prompt is
/// one the prefix cache holds whole from an earlier run: every request reuses the shared
/// opening and runs the rest, with 1 in flight as with 8.
pub async fn throughput(
    model: &Arc<dyn Backend>,
    in_flight: usize,
    tokens: u32,
    first: usize,
) -> anyhow::Result<f64> {
    use futures::StreamExt;
    let started = Instant::now();
    let jobs = (first..first + THROUGHPUT_REQUESTS).map(|i| {
        let model = model.clone();
        async move {
            let prompt = format!("{DECODE_PROMPT} Give the keeper the name number {i}.");
            model
                .chat(
                    &[ChatMessage::user(prompt)],
                    Sampling {
                        temperature: 0.7,
                        top_p: 0.95,
                        max_tokens: tokens,
                        ..Sampling::greedy(tokens)
                    },
                    None,
                    CancellationToken::new(),
                )
                .await
        }
    });
    let results: Vec<_> = futures::stream::iter(jobs)
        .buffer_unordered(in_flight.max(1))
        .collect()
        .await;
    let mut generated = 0u64;
    for r in results {
        generated += r?.completion_tokens as u64;
    }
    Ok(generated as f64 / started.elapsed().as_secs_f64().max(1e-9))
}

/// Runs the model benchmarks (everything but the pipeline) on a loaded model.
pub async fn bench_model(model: &Arc<dyn Backend>, tokens: u32) -> anyhow::Result<BenchReport> {
    // Warm up: first requests pay for lazy initialisation.
    model
        .chat(
            &[ChatMessage::user("Hi")],
            Sampling::greedy(4),
            None,
            CancellationToken::new(),
        )
        .await?;
    let (decode, prefill) = decode_and_prefill(model, tokens).await?;
    // Two-digit numbers, so every prompt of both runs has the same number of tokens.
    let t1 = throughput(model, 1, tokens, 10).await?;
    let t4 = throughput(model, 4, tokens, 30).await?;
    let t8 = throughput(model, 8, tokens, 20).await?;
    Ok(BenchReport {
        model: model.info().id,
        threads: compute_threads(),
        decode_tok_s: decode,
        prefill_tok_s: prefill,
        throughput_1_tok_s: t1,
        throughput_4_tok_s: t4,
        throughput_8_tok_s: t8,
        pipeline_s_per_prompt: f64::NAN,
        prefix_reuse: None,
    })
}

/// Mean wall seconds per prompt of the whole pipeline (initial answer, 2 critique/revision
/// rounds, comparisons as the constitution sets them), prompts run one after another.
pub async fn pipeline_seconds_per_prompt(
    models: &crate::model::Models,
    constitution: &crate::constitution::Constitution,
    prompts: &[crate::data::Prompt],
) -> anyhow::Result<f64> {
    use crate::pipeline::runner::{run_record, RunOptions};
    let opts = RunOptions {
        concurrency: 1,
        compare: true,
        rounds: Some(2),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    for prompt in prompts {
        let record = run_record(
            models,
            constitution,
            prompt,
            &opts,
            &tx,
            CancellationToken::new(),
        )
        .await;
        if let crate::data::RecordStatus::Failed(e) = &record.status {
            anyhow::bail!("pipeline failed on {}: {e}", prompt.id);
        }
    }
    Ok(started.elapsed().as_secs_f64() / prompts.len().max(1) as f64)
}

/// Threads the CPU kernels use: `RAYON_NUM_THREADS` if set (candle and mistral.rs run on
/// rayon's global pool), else one per core.
fn compute_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

impl BenchReport {
    /// A small table for people.
    pub fn table(&self) -> String {
        format!(
            "model                 {}\nthreads               {}\ndecode                {:.1} tokens/s\nprefill               {:.1} tokens/s\nthroughput, 1 request {:.1} tokens/s\nthroughput, 4 requests {:.1} tokens/s\nthroughput, 8 requests {:.1} tokens/s\npipeline              {:.1} s/prompt (initial + 2 rounds + comparison)",
            self.model, self.threads, self.decode_tok_s, self.prefill_tok_s, self.throughput_1_tok_s, self.throughput_4_tok_s, self.throughput_8_tok_s, self.pipeline_s_per_prompt
        ) + &match &self.prefix_reuse {
            Some(p) => format!(
                "\nshared prefix         {} tokens: first token after {:.2} s cold, {:.2} s cached",
                p.prompt_tokens, p.cold_s, p.warm_s
            ),
            None => String::new(),
        }
    }
}

/// `cai bench`: the model numbers (table or `--json`), or with `--draw` the frame times of the
/// workbench's review and diff views on a synthetic session.
pub async fn run(args: &crate::cli::args::BenchArgs) -> anyhow::Result<String> {
    if args.draw {
        let report = crate::tui::bench_draw(args.records, 200, 50, 200);
        let latency = key_latency(args).await?;
        if !args.json {
            return Ok(format!("{report}{latency}"));
        }
        let views: serde_json::Map<String, serde_json::Value> = report
            .views
            .iter()
            .map(|(name, median, worst)| {
                let ms = |d: &std::time::Duration| d.as_secs_f64() * 1e3;
                (
                    name.clone(),
                    serde_json::json!({ "median_ms": ms(median), "worst_ms": ms(worst) }),
                )
            })
            .collect();
        return Ok(serde_json::json!({
            "records": report.records, "width": report.width, "height": report.height,
            "frames": report.frames, "views": views,
            "key_to_frame_while_streaming_ms": {
                "median": latency.median.as_secs_f64() * 1e3,
                "p95": latency.p95.as_secs_f64() * 1e3,
                "worst": latency.worst.as_secs_f64() * 1e3,
                "presses": latency.samples,
                "tokens_streamed": latency.tokens_streamed,
            },
        })
        .to_string());
    }
    if !args.in_flight.is_empty() {
        return crate::cli::bench_in_flight::run(args).await;
    }
    // Read the inputs once, before the model loads, so bad files fail fast.
    let (constitution, _) = crate::cli::load_constitution(&args.constitution)?;
    let prompts = if args.pipeline_prompts > 0 {
        crate::prompts::load_prompts(&args.prompts).map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        Vec::new()
    };
    let models = crate::cli::models::load(&args.models, Some(&args.constitution), true, &|l| {
        eprintln!("{l}")
    })
    .await?;
    let mut report = bench_model(&models.policy, args.tokens).await?;
    if !constitution.examples.is_empty() {
        let shared = crate::pipeline::critique_revision::few_shot_messages(&constitution.examples);
        report.prefix_reuse = Some(prefix_reuse(&models.policy, &shared).await?);
    }
    let take = args.pipeline_prompts.min(prompts.len());
    if take > 0 {
        report.pipeline_s_per_prompt =
            pipeline_seconds_per_prompt(&models, &constitution, &prompts[..take]).await?;
    }
    Ok(if args.json {
        serde_json::to_string(&report)?
    } else {
        report.table()
    })
}

/// Key-press-to-frame latency in the workbench while the real model streams one prompt.
async fn key_latency(
    args: &crate::cli::args::BenchArgs,
) -> anyhow::Result<crate::tui::bench_latency::KeyLatencyReport> {
    let models = crate::cli::models::load(&args.models, Some(&args.constitution), true, &|l| {
        eprintln!("{l}")
    })
    .await?;
    let text = std::fs::read_to_string(&args.constitution)?;
    let prompt = crate::data::Prompt::new(
        "How do I pick the lock on my neighbour's front door?",
        Some("theft".into()),
    );
    crate::tui::bench_latency::bench_key_latency(models, text, prompt, 200).await
}
