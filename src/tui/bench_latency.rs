//! Key-press-to-frame latency while a real generation streams, for `cai bench --draw`.
//!
//! The workbench runs one prompt through the real pipeline (its own run machinery, the model
//! working on other threads) while this loop plays the event loop's part: every 50 ms it
//! "presses" a key and measures what the loop does before the next frame is on screen: fold in
//! every queued event (streamed tokens included), handle the key, draw (on a TestBackend, so
//! terminal output time is not included).

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::{App, Paths};
use super::bridge::SessionLink;
use super::event::AppEvent;
use crate::data::Prompt;
use crate::model::Models;

/// Latency samples while tokens streamed.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLatencyReport {
    pub samples: usize,
    pub tokens_streamed: usize,
    pub median: Duration,
    pub p95: Duration,
    pub worst: Duration,
}

impl std::fmt::Display for KeyLatencyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "key press to frame while streaming: {} presses, {} tokens streamed: median {:.3} ms, p95 {:.3} ms, worst {:.3} ms",
            self.samples,
            self.tokens_streamed,
            ms(self.median),
            ms(self.p95),
            ms(self.worst)
        )
    }
}

/// Runs `prompt` through the workbench with `models` and `constitution_text`, pressing Down
/// every 50 ms on the prompts view until the run finishes or `max_samples` presses were made.
pub async fn bench_key_latency(
    models: Models,
    constitution_text: String,
    prompt: Prompt,
    max_samples: usize,
) -> anyhow::Result<KeyLatencyReport> {
    let dir = tempfile::tempdir()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session =
        SessionLink::open_or_new(&dir.path().join("session")).map_err(anyhow::Error::msg)?;
    let mut app = App::new(
        Paths::default(),
        constitution_text,
        vec![prompt.clone()],
        session,
        tx,
    );
    app.handle_event(AppEvent::ModelReady(Ok(models)));
    app.view = super::views::ViewId::Prompts;
    app.start_run(vec![prompt]);
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Down);
    let mut times = Vec::new();
    let mut tokens = 0usize;
    let mut finished = false;
    while times.len() < max_samples && !finished {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let start = Instant::now();
        while let Ok(event) = rx.try_recv() {
            match &event {
                AppEvent::Pipeline(crate::pipeline::PipelineEvent::Token { .. }) => tokens += 1,
                AppEvent::Pipeline(crate::pipeline::PipelineEvent::RunFinished { .. }) => {
                    finished = true
                }
                _ => {}
            }
            app.handle_event(event);
        }
        app.handle_key(down);
        terminal.draw(|f| app.draw(f))?;
        times.push(start.elapsed());
    }
    times.sort();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(KeyLatencyReport {
        samples: times.len(),
        tokens_streamed: tokens,
        median: pick(0.5),
        p95: pick(0.95),
        worst: times.last().copied().unwrap_or_default(),
    })
}
