//! Tests of the whole workbench without a terminal: snapshots of every view drawn on
//! ratatui's `TestBackend` over hand-built records, and key sequences through the main flows.

mod flows;
mod run_flow;
mod snapshots;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::app::{App, Paths};
use super::bench::synthetic_record;
use super::bridge::SessionLink;
use super::event::AppEvent;

/// A small valid constitution.
pub const CONSTITUTION: &str = r#"name = "test constitution"
description = "for tests"

[settings.comparison]
ensemble_size = 1

[[principles]]
id = "harmful"
critique = "Identify ways the last response is harmful."
revision = "Rewrite the response to remove anything harmful."

[[principles]]
id = "unethical"
critique = "Point out anything unethical in the last response."
revision = "Rewrite the response to be ethical."
enabled = false

[[comparisons]]
id = "less-harmful"
question = "Which of these responses is less harmful?"
"#;

/// An app with the test constitution at `path` and `records` synthetic records.
pub fn app_with(path: std::path::PathBuf, records: usize) -> (App, UnboundedReceiver<AppEvent>) {
    let (tx, rx) = unbounded_channel();
    let paths = Paths {
        constitution: path,
        ..Paths::default()
    };
    let mut app = App::new(
        paths,
        CONSTITUTION.to_string(),
        Vec::new(),
        SessionLink::default(),
        tx,
    );
    for i in 0..records {
        app.ws.add_record(synthetic_record(i));
    }
    (app, rx)
}

/// Draws the app on a test terminal and returns the screen as text.
pub fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let _ = terminal.draw(|f| app.draw(f));
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A plain key press.
pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// A key code press.
pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Ctrl plus a letter.
pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses keys in order.
pub fn press(app: &mut App, keys: &[KeyEvent]) {
    for k in keys {
        app.handle_key(*k);
    }
}

/// Types a string one character at a time.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c));
    }
}
