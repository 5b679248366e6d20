//! Timing of frame drawing on a synthetic session, for the `bench` command: how long the review
//! and diff views take to draw with N records. Drawing only visible rows and caching wrapped
//! lines keeps the cost independent of N.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::{App, Paths};
use super::bridge::SessionLink;
use super::views::ViewId;
pub use crate::pipeline::synthetic::synthetic_record;

/// Median and worst frame time of each view measured.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawBenchReport {
    pub records: usize,
    pub width: u16,
    pub height: u16,
    pub frames: usize,
    /// (view name, median, worst).
    pub views: Vec<(String, Duration, Duration)>,
}

impl std::fmt::Display for DrawBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "draw benchmark: {} records, {}x{}, {} frames per view",
            self.records, self.width, self.height, self.frames
        )?;
        for (view, median, worst) in &self.views {
            writeln!(
                f,
                "  {view:<10} median {:>8.3} ms   worst {:>8.3} ms",
                median.as_secs_f64() * 1e3,
                worst.as_secs_f64() * 1e3
            )?;
        }
        Ok(())
    }
}

/// An app over `records` synthetic records (no terminal, no model).
pub fn synthetic_app(records: usize) -> App {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        Paths::default(),
        String::new(),
        Vec::new(),
        SessionLink::default(),
        tx,
    );
    for i in 0..records {
        app.ws.add_record(synthetic_record(i));
    }
    app
}

/// Draws the review and diff views `frames` times each on a `width` x `height` test terminal
/// over a synthetic session of `records` records, scrolling one row per frame.
pub fn bench_draw(records: usize, width: u16, height: u16, frames: usize) -> DrawBenchReport {
    let mut app = synthetic_app(records);
    app.views.inspector.diff = super::views::inspector::DiffMode::Rounds;
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let mut views = Vec::new();
    for (name, view) in [("review", ViewId::Review), ("diff", ViewId::Inspector)] {
        app.view = view;
        let mut times = Vec::with_capacity(frames);
        for frame in 0..frames.max(1) {
            let action = if frame % 2 == 0 {
                super::keymap::Action::Down
            } else {
                super::keymap::Action::NextRecord
            };
            app.handle_action(action);
            let start = Instant::now();
            let _ = terminal.draw(|f| app.draw(f));
            times.push(start.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times.last().copied().unwrap_or_default();
        views.push((name.to_string(), median, worst));
    }
    DrawBenchReport {
        records,
        width,
        height,
        frames,
        views,
    }
}
