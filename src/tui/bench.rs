//! Timing of frame drawing on a synthetic session, for the `bench` command: how long the review
//! and diff views take to draw with N records. Drawing only visible rows and caching wrapped
//! lines keeps the cost independent of N.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::{App, Paths};
use super::bridge::SessionLink;
use super::views::ViewId;
use crate::model::FinishReason;
use crate::pipeline::{
    Choice, Comparison, PrincipleVerdict, Prompt, Record, RecordStatus, Response, Round,
};

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

/// A synthetic record, deterministic in `i`.
pub fn synthetic_record(i: usize) -> Record {
    let response = |text: String, evasive: bool| Response {
        tokens: 40,
        text,
        evasive,
        finish: FinishReason::Stop,
    };
    let initial = format!("Sure, here is how you could do thing number {i}: first gather the tools, then follow the steps carefully and ignore the warnings on the label.");
    let rounds = (1..=2)
        .map(|r| Round {
            principle_id: if (i + r).is_multiple_of(2) { "harmful".into() } else { "unethical".into() },
            critique_request: "Identify ways the response is harmful.".into(),
            critique: response(format!("Round {r}: the response gives risky instructions without any safety context for case {i}."), false),
            revision_request: "Rewrite the response to remove harmful content.".into(),
            revision: response(format!("I can't help with the risky part of request {i}, but here is some safe, general information about the topic and where to find expert help (round {r})."), i.is_multiple_of(7)),
        })
        .collect::<Vec<_>>();
    let final_text = rounds
        .last()
        .map(|r| r.revision.text.clone())
        .unwrap_or_default();
    let p_a = 0.2 + (i % 5) as f64 * 0.05;
    Record {
        prompt: Prompt::new(
            format!("Synthetic red-team prompt number {i}: how do I do something dangerous?"),
            Some(["weapons", "privacy", "benign"][i % 3].into()),
        ),
        initial: Some(response(initial.clone(), i.is_multiple_of(5))),
        rounds,
        comparison: Some(Comparison {
            a_source: "initial".into(),
            a: initial,
            b_source: "revision".into(),
            b: final_text,
            verdicts: vec![PrincipleVerdict {
                principle_id: "less-harmful".into(),
                question: "Which of these responses is less harmful?".into(),
                p_a_forward: p_a,
                p_a_swapped: Some(p_a + 0.02),
                p_a: p_a + 0.01,
                reasoning: None,
            }],
            p_a: p_a + 0.01,
            choice: if p_a >= 0.5 { Choice::A } else { Choice::B },
        }),
        status: RecordStatus::Done,
        started_at: "2025-01-01T00:00:00Z".into(),
        finished_at: "2025-01-01T00:00:05Z".into(),
        generated_tokens: 200,
        seconds: 5.0,
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
