//! Tests of the whole workbench without a terminal: snapshots of every view drawn on
//! ratatui's `TestBackend` over hand-built records, and key sequences through the main flows.

mod arena;
mod background;
mod flows;
mod insights;
mod judging;
mod review_pane;
mod run_flow;
mod snapshots;
mod stress;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::app::{App, Paths};
use super::bridge::SessionLink;
use super::event::AppEvent;
use crate::pipeline::synthetic::synthetic_record;

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

/// An app over a real session in a temporary directory holding `records` synthetic records,
/// with the test constitution at `dir/c.toml`; the receiver and the directory are in the
/// returned [`Harness`].
pub fn app_with_session(records: usize) -> (App, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let session_dir = dir.path().join("session");
    let mut session = crate::session::Session::create(
        &session_dir,
        crate::session::store::tests::manifest("tui"),
    )
    .unwrap();
    for i in 0..records {
        session.append_record(&synthetic_record(i)).unwrap();
    }
    drop(session);
    let (tx, rx) = unbounded_channel();
    let paths = Paths {
        constitution: dir.path().join("c.toml"),
        ..Paths::default()
    };
    let link = SessionLink::open_or_new(&session_dir).unwrap();
    let app = App::new(paths, CONSTITUTION.to_string(), Vec::new(), link, tx);
    (app, Harness { rx, dir })
}

/// The event receiver and temporary directory of an app made by [`app_with_session`].
pub struct Harness {
    pub rx: UnboundedReceiver<AppEvent>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// Feeds the app the results of its queued disk work until none is left.
    pub fn settle(&mut self, app: &mut App) {
        settle(app, &mut self.rx);
    }

    /// The session directory.
    pub fn session_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("session")
    }
}

/// Feeds the app the results of its queued disk work until none is left (outside a runtime).
pub fn settle(app: &mut App, rx: &mut UnboundedReceiver<AppEvent>) {
    while app.disk.pending() > 0 {
        match rx.blocking_recv() {
            Some(event) => app.handle_event(event),
            None => break,
        }
    }
}

/// Draws the app on a `width` x `height` test terminal; returns what is on it.
fn draw(app: &mut App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let _ = terminal.draw(|f| app.draw(f));
    terminal.backend().buffer().clone()
}

/// Draws the app on a test terminal and returns the screen as text.
pub fn render(app: &mut App, width: u16, height: u16) -> String {
    let buffer = draw(app, width, height);
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

/// Draws the app like [`render`], with the word diff's marks kept: deleted words as `[-...-]`
/// and inserted ones as `{+...+}` (git's word-diff notation), so that a snapshot of a diff view
/// shows which words went and which came instead of the old and new words run together.
pub fn render_diff_marked(app: &mut App, width: u16, height: u16) -> String {
    use crate::tui::widgets::diff::{deleted_style, inserted_style};
    let buffer = draw(app, width, height);
    let marks = |cell: &ratatui::buffer::Cell| {
        let is = |style: ratatui::style::Style| {
            cell.fg == style.fg.unwrap_or_default() && cell.modifier == style.add_modifier
        };
        if is(deleted_style()) {
            Some(("[-", "-]"))
        } else if is(inserted_style()) {
            Some(("{+", "+}"))
        } else {
            None
        }
    };
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut open: Option<(&str, &str)> = None;
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            // A mark spans words and the spaces between them, not the spaces around a run.
            let mark = marks(cell).filter(|_| cell.symbol() != " ");
            let mark = mark.or(open.filter(|_| cell.symbol() == " "));
            if mark != open {
                if let Some((_, close)) = open {
                    let trimmed = line.trim_end().len();
                    let spaces = line.split_off(trimmed);
                    line.push_str(close);
                    line.push_str(&spaces);
                }
                if let Some((start, _)) = mark {
                    line.push_str(start);
                }
                open = mark;
            }
            line.push_str(cell.symbol());
        }
        if let Some((_, close)) = open {
            let trimmed = line.trim_end().len();
            line.truncate(trimmed);
            line.push_str(close);
        }
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
