//! `cai bench --in-flight 1,2,4,8`: the whole pipeline (initial answer, critique/revision rounds,
//! comparisons) over the same prompts of mixed lengths at each number of prompts in flight, as
//! `cai run` runs them; wall time, seconds per prompt and generated tokens per second, each
//! level against one in flight. With `--endpoint`, the same over inference servers.
//!
//! Prompts are picked evenly from the prompt set sorted by length (short and long ones mixed).
//! Every run tags its prompts differently (`[run 3] ...`), so no run finds another's prompts in
//! a prefix cache, only the shared few-shot opening. `--repeat N` runs the levels N times,
//! ascending then descending, so drift in the machine's speed spreads over all levels.

use std::sync::Arc;

use serde::Serialize;

use crate::constitution::Constitution;
use crate::data::{Prompt, RecordStatus};
use crate::model::{EndpointUsage, Models};
use crate::pipeline::runner::{spawn_run, RunOptions};

use super::bench::median;
use crate::pipeline::PipelineEvent;

/// One run at one level.
#[derive(Debug, Clone, Serialize)]
pub struct InFlightRun {
    pub in_flight: usize,
    pub prompts: usize,
    pub failed: usize,
    pub seconds: f64,
    pub tokens: u64,
    /// Largest resident memory of this process during the run, in MB (sampled every 50 ms;
    /// `None` where /proc/self/statm cannot be read).
    pub peak_rss_mb: Option<f64>,
}

/// The runs of all levels, and the endpoints' shares when the model is served.
#[derive(Debug, Clone, Serialize)]
pub struct InFlightReport {
    pub model: String,
    pub runs: Vec<InFlightRun>,
    pub endpoints: Vec<EndpointUsage>,
}

/// Samples this process's resident memory every 50 ms while it lives and keeps the largest
/// value since the last [`PeakRss::take`].
struct PeakRss {
    peak: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl PeakRss {
    /// Resident bytes now, from /proc/self/statm (Linux).
    fn resident_bytes() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }

    fn start() -> Option<PeakRss> {
        use std::sync::atomic::Ordering;
        Self::resident_bytes()?;
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(now) = Self::resident_bytes() {
                    p.fetch_max(now, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        Some(PeakRss { peak, stop })
    }

    /// The peak since the last call (or the start), in MB; starts the next interval at the
    /// memory resident now.
    fn take(&self) -> f64 {
        use std::sync::atomic::Ordering;
        let now = Self::resident_bytes().unwrap_or(0);
        let peak = self.peak.swap(now, Ordering::Relaxed).max(now);
        peak as f64 / 1e6
    }
}

impl Drop for PeakRss {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `count` prompts spread evenly over `prompts` sorted by length.
pub fn mixed_lengths(prompts: &[Prompt], count: usize) -> Vec<Prompt> {
    let mut sorted: Vec<&Prompt> = prompts.iter().collect();
    sorted.sort_by_key(|p| (p.text.chars().count(), p.id.clone()));
    let n = sorted.len();
    if count == 0 || n == 0 {
        return Vec::new();
    }
    let count = count.min(n);
    let mut picked: Vec<Prompt> = (0..count)
        .map(|i| {
            let at = if count == 1 {
                0
            } else {
                i * (n - 1) / (count - 1)
            };
            sorted[at].clone()
        })
        .collect();
    // Interleave short and long so every level starts with both.
    let mut mixed = Vec::with_capacity(picked.len());
    while !picked.is_empty() {
        mixed.push(picked.remove(0));
        if let Some(last) = picked.pop() {
            mixed.push(last);
        }
    }
    mixed
}

/// Runs the pipeline over `prompts` at each level, `repeat` times.
pub async fn measure(
    models: &Models,
    constitution: &Arc<Constitution>,
    prompts: &[Prompt],
    levels: &[usize],
    repeat: usize,
) -> anyhow::Result<InFlightReport> {
    let mut runs = Vec::new();
    let mut tag = 0usize;
    let rss = PeakRss::start();
    for rep in 0..repeat.max(1) {
        let order: Vec<usize> = if rep % 2 == 0 {
            levels.to_vec()
        } else {
            levels.iter().rev().copied().collect()
        };
        for level in order {
            tag += 1;
            let tagged: Vec<Prompt> = prompts
                .iter()
                .map(|p| Prompt::new(format!("[run {tag}] {}", p.text), p.category.clone()))
                .collect();
            if let Some(rss) = &rss {
                rss.take();
            }
            let opts = RunOptions {
                concurrency: level.max(1),
                compare: true,
                rounds: None,
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            // Why each failed prompt failed, said as it happens.
            let drain = tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    if let PipelineEvent::Finished { record } = event {
                        if let RecordStatus::Failed(why) = &record.status {
                            eprintln!("{level} in flight: a prompt failed: {why}");
                        }
                    }
                }
            });
            let handle = spawn_run(models.clone(), constitution.clone(), tagged, opts, None, tx);
            let summary = handle.wait().await;
            let _ = drain.await;
            if let Some(e) = summary.error {
                anyhow::bail!("the run at {level} in flight stopped: {e}");
            }
            let peak_rss_mb = rss.as_ref().map(PeakRss::take);
            eprintln!(
                "{level} in flight: {:.1} s, {} tokens, {} failed, peak memory {}",
                summary.seconds,
                summary.generated_tokens,
                summary.failed,
                peak_rss_mb.map_or("unknown".into(), |mb| format!("{mb:.0} MB"))
            );
            runs.push(InFlightRun {
                in_flight: level,
                prompts: prompts.len(),
                failed: summary.failed,
                seconds: summary.seconds,
                tokens: summary.generated_tokens,
                peak_rss_mb,
            });
        }
    }
    Ok(InFlightReport {
        model: models.policy.info().id,
        runs,
        endpoints: models.policy.endpoint_usage(),
    })
}

/// `cai bench --in-flight ...`: loads the models the flags name and prints the table (or JSON).
pub async fn run(args: &crate::cli::args::BenchArgs) -> anyhow::Result<String> {
    let (constitution, _) = crate::cli::load_constitution(&args.constitution)?;
    let all = crate::prompts::load_prompts(&args.prompts).map_err(|e| anyhow::anyhow!("{e}"))?;
    let prompts = mixed_lengths(&all, args.in_flight_prompts);
    let models = crate::cli::models::load(&args.models, Some(&args.constitution), true, &|l| {
        eprintln!("{l}")
    })
    .await?;
    let report = measure(
        &models,
        &Arc::new(constitution),
        &prompts,
        &args.in_flight,
        args.repeat,
    )
    .await?;
    Ok(if args.json {
        serde_json::to_string(&report)?
    } else {
        report.table()
    })
}

impl InFlightReport {
    /// One line per level: median wall time, seconds per prompt, tokens/s, and the range.
    pub fn table(&self) -> String {
        let mut levels: Vec<usize> = self.runs.iter().map(|r| r.in_flight).collect();
        levels.sort_unstable();
        levels.dedup();
        let of = |level: usize| self.runs.iter().filter(move |r| r.in_flight == level);
        let rate = |r: &InFlightRun| r.tokens as f64 / r.seconds.max(1e-9);
        let base = levels
            .first()
            .map(|&l| median(of(l).map(rate).collect()))
            .unwrap_or(f64::NAN);
        let mut out = format!(
            "model {}\nin flight  runs  wall s (median)  s/prompt  tokens/s (median, range)  vs {}  peak MB\n",
            self.model,
            levels.first().copied().unwrap_or(1)
        );
        for level in levels {
            let seconds = median(of(level).map(|r| r.seconds).collect());
            let rates: Vec<f64> = of(level).map(rate).collect();
            let prompts = of(level).map(|r| r.prompts).max().unwrap_or(1).max(1);
            let failed: usize = of(level).map(|r| r.failed).sum();
            let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
                (lo.min(*r), hi.max(*r))
            });
            let tokens_s = median(rates.clone());
            let peak = of(level)
                .filter_map(|r| r.peak_rss_mb)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            out.push_str(&format!(
                "{level:>9}  {:>4}  {seconds:>15.1}  {:>8.2}  {tokens_s:>8.1} ({lo:.1}-{hi:.1}){:>10}  {:.2}x  {}\n",
                rates.len(),
                seconds / prompts as f64,
                if failed > 0 { format!(" {failed} failed") } else { String::new() },
                tokens_s / base,
                peak.map_or("-".into(), |mb| format!("{mb:.0}"))
            ));
        }
        for e in &self.endpoints {
            out.push_str(&format!(
                "endpoint {}: {} requests served, {} failed\n",
                e.endpoint, e.served, e.failed
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_lengths_take_short_and_long_prompts_alternately() {
        let prompts: Vec<Prompt> = (1..=10)
            .map(|n| Prompt::new("x".repeat(n * 10), None))
            .collect();
        let picked = mixed_lengths(&prompts, 4);
        let lengths: Vec<usize> = picked.iter().map(|p| p.text.len()).collect();
        assert_eq!(lengths, vec![10, 100, 40, 70]);
        assert_eq!(mixed_lengths(&prompts, 50).len(), 10);
        assert!(mixed_lengths(&prompts, 0).is_empty());
    }

    #[test]
    fn the_table_compares_each_level_with_the_first() {
        let run = |in_flight, seconds, tokens| InFlightRun {
            in_flight,
            prompts: 4,
            failed: 0,
            seconds,
            tokens,
            peak_rss_mb: Some(1000.0 + seconds),
        };
        let report = InFlightReport {
            model: "m".into(),
            runs: vec![run(1, 40.0, 400), run(4, 20.0, 400), run(1, 40.0, 400)],
            endpoints: Vec::new(),
        };
        let table = report.table();
        assert!(table.contains("10.0 (10.0-10.0)"), "{table}");
        assert!(table.contains("2.00x"), "{table}");
        // The peak memory column takes the largest of a level's runs.
        assert!(table.contains("2.00x  1020"), "{table}");
        assert!(table.contains("1.00x  1040"), "{table}");
    }
}
