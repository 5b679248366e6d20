//! A person's own judgements as known answers: every comparison in a session that a person
//! judged (a blind pick, or a label the reviewer confirmed or flipped) becomes a pair question
//! whose better answer is the one the person preferred. Ties are left out (they have no
//! better answer to be right about), and counted.

use std::path::Path;

use super::dir::SetEntry;
use super::sets::{Item, KnownAnswer};
use crate::data::{Choice, RecordStatus};
use crate::pipeline::judge::transcript_of_prompt;
use crate::session::{human_label, Session};

/// The judged comparisons of the session in `dir` as pair questions (the first `limit`).
pub fn session_set(
    dir: &Path,
    limit: Option<usize>,
) -> Result<(SetEntry, Vec<KnownAnswer>), String> {
    let session = Session::open_read_only(dir).map_err(|e| e.to_string())?;
    let state = session.state();
    let name = format!(
        "session {}",
        dir.file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into())
    );
    let mut items = Vec::new();
    let mut ties = 0;
    for record in state.records() {
        let (RecordStatus::Done, Some(c)) = (&record.status, &record.comparison) else {
            continue;
        };
        let id = &record.prompt.id;
        let Some(label) = human_label(c, state.review_ref(id), state.blind_pick(id)) else {
            continue;
        };
        let Some(chosen) = label.chosen else {
            ties += 1;
            continue;
        };
        let (better, worse) = match chosen {
            Choice::A => (&c.a, &c.b),
            Choice::B => (&c.b, &c.a),
        };
        if better.trim() == worse.trim() {
            continue;
        }
        items.push(KnownAnswer {
            id: format!("{name}:{id}"),
            set: name.clone(),
            item: Item::Pair {
                transcript: transcript_of_prompt(&record.prompt.text),
                better: better.clone(),
                worse: worse.clone(),
                set_question: None,
                written: None,
            },
        });
    }
    if let Some(n) = limit {
        items.truncate(n);
    }
    if items.is_empty() {
        return Err(format!(
            "{}: no comparison in it was judged by a person ({ties} blind ties)\n  fix: pick blind in the workbench (view 4, B) or confirm labels (a/f in view 4)",
            dir.display()
        ));
    }
    let log = std::fs::read(dir.join(crate::session::EVENTS_FILE)).unwrap_or_default();
    let entry = SetEntry {
        name,
        path: dir.display().to_string(),
        sha256: crate::fsutil::sha256_hex(&log),
        questions: items.len(),
        layout: format!("sessions ({ties} ties left out)"),
    };
    Ok((entry, items))
}
