//! The real terminal: raw mode, alternate screen and mouse capture on entry; all undone on
//! exit, on error (the guard's drop) and on panic (a hook that restores before the message
//! is printed). Each frame is wrapped in the synchronized-update sequence to avoid flicker.

use std::io::{stdout, Write};

use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::DefaultTerminal;

use super::app::App;

/// The terminal while the workbench owns it.
pub struct Tui {
    terminal: DefaultTerminal,
    active: bool,
}

fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
}

impl Tui {
    /// Takes over the terminal and installs the panic hook.
    pub fn enter() -> anyhow::Result<Tui> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let terminal = ratatui::try_init()?;
        // Bracketed paste: a paste arrives as one event, not one key per character.
        execute!(stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(Tui {
            terminal,
            active: true,
        })
    }

    /// Draws one frame inside a synchronized update.
    pub fn draw(&mut self, app: &mut App) -> anyhow::Result<()> {
        execute!(stdout(), BeginSynchronizedUpdate)?;
        let drawn = self.terminal.draw(|frame| app.draw(frame));
        execute!(stdout(), EndSynchronizedUpdate)?;
        stdout().flush()?;
        drawn?;
        Ok(())
    }

    /// Gives the terminal back.
    pub fn leave(mut self) -> anyhow::Result<()> {
        self.active = false;
        execute!(stdout(), DisableMouseCapture, DisableBracketedPaste)?;
        ratatui::try_restore()?;
        Ok(())
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.active {
            restore();
        }
    }
}
