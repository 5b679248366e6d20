//! The arena part: reads the latest arena under the sessions folder (at start) and writes a
//! person's blind picks of its pairs, each on a thread of its own (off the UI thread); after a pick is durable the
//! arena is read again, so the Arena view's scores include it. A failure comes back as the
//! view's status or a notice, never silence.

use std::path::{Path, PathBuf};

use tokio::sync::mpsc::UnboundedSender;

use crate::ab::arena::load::{append_pick, latest, read_files};
use crate::ab::arena::HumanPick;
use crate::tui::event::AppEvent;
use crate::tui::views::arena::LoadedArena;

/// The arena in `dir`, with the pairs left to judge blind.
pub fn read(dir: &Path) -> Result<LoadedArena, String> {
    let files = read_files(dir).map_err(|e| format!("{e:#}"))?;
    Ok(LoadedArena {
        dir: dir.to_path_buf(),
        outcome: files.outcome().map_err(|e| format!("{e:#}"))?,
        blind: files.blind_queue(),
    })
}

/// Reads the latest arena under `root`, if there is one, and sends it to the workbench.
pub fn spawn_load_latest(root: PathBuf, tx: UnboundedSender<AppEvent>) {
    std::thread::spawn(move || {
        if let Some(dir) = latest(&root) {
            let _ = tx.send(AppEvent::Arena(read(&dir).map(Box::new)));
        }
    });
}

/// Appends `pick` to the arena's `human.jsonl` (fsynced), then reads the arena again.
pub fn spawn_record_pick(dir: PathBuf, pick: HumanPick, tx: UnboundedSender<AppEvent>) {
    std::thread::spawn(move || match append_pick(&dir, &pick) {
        Ok(()) => {
            let _ = tx.send(AppEvent::Notice(format!(
                "blind pick on {} written to {}",
                pick.prompt_id,
                dir.join(crate::ab::arena::HUMAN_FILE).display()
            )));
            let _ = tx.send(AppEvent::Arena(read(&dir).map(Box::new)));
        }
        Err(e) => {
            let _ = tx.send(AppEvent::Notice(format!(
                "the blind pick on {} was NOT written: {e:#}",
                pick.prompt_id
            )));
        }
    });
}
