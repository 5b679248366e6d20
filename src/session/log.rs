//! The append-only event log, `events.jsonl`: one [`LogEvent`] as JSON per line.
//!
//! Every append is a single write of the whole line and its newline, followed by `sync_data`,
//! so a record is durable before the caller goes on. A crash can at worst leave a torn last
//! line (no trailing newline); [`replay`] reports it and skips it, and [`EventLog::open`]
//! moves its bytes aside to `events.jsonl.torn` and truncates the log to its last newline, so
//! nothing is lost and new lines start clean. A corrupt line in the middle is reported with
//! its line and column and skipped, and so is a review of a record the log does not hold; the
//! rest still loads.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::LogEvent;

/// What replaying a log found: the events that parsed, in order, and what was skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    pub events: Vec<LogEvent>,
    /// One message per skipped line, `events.jsonl:LINE[:COLUMN]: why`.
    pub warnings: Vec<String>,
    /// The line each event was read from.
    pub lines: Vec<usize>,
}

impl Replay {
    /// Drops the reviews of prompt ids that no earlier record has (the workbench never writes
    /// one; a hand-edited or merged log may hold them), each with a warning naming its line.
    pub fn drop_orphan_reviews(&mut self, label: &str) {
        let mut recorded = std::collections::HashSet::new();
        let mut kept = Vec::with_capacity(self.events.len());
        let mut lines = Vec::with_capacity(self.lines.len());
        let events = std::mem::take(&mut self.events);
        let numbers = std::mem::take(&mut self.lines);
        for (event, number) in events.into_iter().zip(numbers) {
            match &event {
                LogEvent::Record { record } => {
                    recorded.insert(record.prompt.id.clone());
                }
                LogEvent::Review { prompt_id, .. } | LogEvent::Blind { prompt_id, .. }
                    if !recorded.contains(prompt_id) =>
                {
                    let what = match &event {
                        LogEvent::Blind { .. } => "blind pick",
                        _ => "review",
                    };
                    self.warnings.push(format!(
                        "{label}:{number}: skipped a {what} of `{prompt_id}`: no record with \
                         that prompt id comes before it"
                    ));
                    continue;
                }
                LogEvent::Review { .. } | LogEvent::Blind { .. } => {}
            }
            kept.push(event);
            lines.push(number);
        }
        self.events = kept;
        self.lines = lines;
        // Warnings in file order.
        self.warnings.sort_by_key(|w| line_of(w));
    }
}

/// The line number in a warning `label:LINE[:COL]: ...`.
fn line_of(warning: &str) -> usize {
    warning
        .split(':')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// An open, append-only event log.
#[derive(Debug)]
pub struct EventLog {
    path: PathBuf,
    file: File,
    /// What opening had to repair (a torn last line moved aside), if anything.
    repair: Option<String>,
}

impl EventLog {
    /// Creates the log or opens it for appending. A torn last line (no newline, does not
    /// parse) is appended to `<log>.torn` and cut from the log; a last line that parses but
    /// lacks its newline gets one, so the next append starts on a line of its own.
    pub fn open(path: &Path) -> std::io::Result<EventLog> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let repair = repair_tail(path, &mut file)?;
        Ok(EventLog {
            path: path.to_path_buf(),
            file,
            repair,
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A message saying what [`EventLog::open`] repaired, if it had to.
    pub fn repair(&self) -> Option<&str> {
        self.repair.as_deref()
    }

    /// Appends one event as a line and returns once the data is on disk.
    /// A write that fails part-way (a full disk) is cut back off, so the log never keeps half
    /// a line from this program.
    pub fn append(&mut self, event: &LogEvent) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let before = self.file.metadata()?.len();
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if written.is_err() {
            let _ = self.file.set_len(before);
            let _ = self.file.sync_data();
        }
        written
    }
}

/// Fixes the end of a log opened for appending; returns a message when something was done.
fn repair_tail(path: &Path, file: &mut File) -> std::io::Result<Option<String>> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(None);
    }
    let cut = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[cut..];
    if serde_json::from_slice::<LogEvent>(tail).is_ok() {
        // A whole event whose newline was lost: keep it, terminate it.
        file.write_all(b"\n")?;
        file.sync_data()?;
        return Ok(None);
    }
    let torn_path = torn_path(path);
    let mut torn = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&torn_path)?;
    torn.write_all(tail)?;
    torn.write_all(b"\n")?;
    torn.sync_data()?;
    file.set_len(cut as u64)?;
    file.sync_data()?;
    Ok(Some(format!(
        "{}: torn last line ({} bytes) moved to {}",
        file_label(path),
        tail.len(),
        file_label(&torn_path)
    )))
}

/// Where torn bytes of `log` are kept: `<log>.torn`.
pub fn torn_path(log: &Path) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".torn");
    log.with_file_name(name)
}

/// Reads a log into events. A missing file is an empty log. Lines that do not parse are
/// skipped with a warning; a torn last line is named as such.
pub fn replay(path: &Path) -> std::io::Result<Replay> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replay::default()),
        Err(e) => return Err(e),
    };
    Ok(replay_bytes(&file_label(path), &bytes))
}

/// Replays log bytes; `label` names the file in warnings.
pub fn replay_bytes(label: &str, bytes: &[u8]) -> Replay {
    let mut replay = Replay::default();
    let ends_clean = bytes.is_empty() || bytes.ends_with(b"\n");
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if ends_clean {
        // split leaves an empty piece after the final newline.
        lines.pop();
    }
    let last = lines.len();
    for (index, line) in lines.into_iter().enumerate() {
        let number = index + 1;
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match serde_json::from_slice::<LogEvent>(line) {
            Ok(event) => {
                replay.events.push(event);
                replay.lines.push(number);
            }
            Err(_) if !ends_clean && number == last => replay.warnings.push(format!(
                "{label}:{number}: torn last line ({} bytes) skipped",
                line.len()
            )),
            Err(e) => replay.warnings.push(format!(
                "{label}:{number}:{}: skipped a line that is not a valid event: {e}",
                e.column()
            )),
        }
    }
    replay
}

/// The file name of a path, for messages.
fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Review, ReviewState};

    fn review(id: &str, state: ReviewState) -> LogEvent {
        LogEvent::Review {
            prompt_id: id.to_string(),
            review: Review {
                state,
                edited: None,
                flipped: false,
                label_checked: false,
                at: "t".into(),
            },
        }
    }

    #[test]
    fn appended_events_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut log = EventLog::open(&path).unwrap();
        log.append(&review("a", ReviewState::Approved)).unwrap();
        log.append(&review("b", ReviewState::Rejected)).unwrap();
        let replay = replay(&path).unwrap();
        assert!(replay.warnings.is_empty(), "{:?}", replay.warnings);
        assert_eq!(
            replay.events,
            vec![
                review("a", ReviewState::Approved),
                review("b", ReviewState::Rejected)
            ]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            replay(&dir.path().join("none.jsonl")).unwrap(),
            Replay::default()
        );
    }

    #[test]
    fn torn_tail_is_reported_moved_aside_and_log_continues_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut log = EventLog::open(&path).unwrap();
        log.append(&review("a", ReviewState::Approved)).unwrap();
        drop(log);
        let whole = serde_json::to_string(&review("b", ReviewState::Approved)).unwrap();
        let half = &whole[..whole.len() / 2];
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(half.as_bytes()).unwrap();
        drop(f);

        let first = replay(&path).unwrap();
        assert_eq!(first.events, vec![review("a", ReviewState::Approved)]);
        assert_eq!(
            first.warnings,
            vec![format!(
                "events.jsonl:2: torn last line ({} bytes) skipped",
                half.len()
            )]
        );

        let mut log = EventLog::open(&path).unwrap();
        assert!(log.repair().unwrap().contains("events.jsonl.torn"));
        let torn = std::fs::read_to_string(torn_path(&path)).unwrap();
        assert_eq!(torn, format!("{half}\n"));
        log.append(&review("c", ReviewState::Rejected)).unwrap();

        let after = replay(&path).unwrap();
        assert!(after.warnings.is_empty(), "{:?}", after.warnings);
        assert_eq!(
            after.events,
            vec![
                review("a", ReviewState::Approved),
                review("c", ReviewState::Rejected)
            ]
        );
    }

    #[test]
    fn whole_last_event_without_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let line = serde_json::to_string(&review("a", ReviewState::Approved)).unwrap();
        std::fs::write(&path, &line).unwrap();
        assert_eq!(replay(&path).unwrap().events.len(), 1);
        let mut log = EventLog::open(&path).unwrap();
        assert!(log.repair().is_none());
        log.append(&review("b", ReviewState::Approved)).unwrap();
        let replay = replay(&path).unwrap();
        assert!(replay.warnings.is_empty());
        assert_eq!(replay.events.len(), 2);
        assert!(!torn_path(&path).exists());
    }

    #[test]
    fn corrupt_middle_line_is_skipped_with_line_and_column() {
        let a = serde_json::to_string(&review("a", ReviewState::Approved)).unwrap();
        let c = serde_json::to_string(&review("c", ReviewState::Approved)).unwrap();
        let text = format!("{a}\n{{\"type\": \"review\", oops}}\n\n{c}\n");
        let replay = replay_bytes("events.jsonl", text.as_bytes());
        assert_eq!(replay.events.len(), 2);
        assert_eq!(replay.warnings.len(), 1);
        assert!(
            replay.warnings[0].starts_with("events.jsonl:2:20: "),
            "{}",
            replay.warnings[0]
        );
    }

    #[test]
    fn invalid_utf8_line_is_a_warning_not_a_panic() {
        let a = serde_json::to_string(&review("a", ReviewState::Approved)).unwrap();
        let mut bytes = b"{\"type\":\"\xff\xfe\"}\n".to_vec();
        bytes.extend_from_slice(a.as_bytes());
        bytes.push(b'\n');
        let replay = replay_bytes("events.jsonl", &bytes);
        assert_eq!(replay.events.len(), 1);
        assert!(replay.warnings[0].starts_with("events.jsonl:1:"));
    }
}
