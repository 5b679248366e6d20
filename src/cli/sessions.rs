//! `cai sessions list` and `cai sessions show`: what sessions exist and what one holds.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::data::{Record, RecordStatus};
use crate::session::{list_sessions, Session};

/// A table of the sessions under `root`, oldest first.
pub fn list(root: &Path) -> String {
    let sessions = list_sessions(root);
    if sessions.is_empty() {
        return format!("no sessions in {}", root.display());
    }
    let headers = [
        "NAME",
        "CREATED",
        "CONSTITUTION",
        "RECORDS",
        "DONE",
        "FAILED",
        "APPROVED",
        "REJECTED",
        "PENDING",
    ];
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| match &s.error {
            Some(error) => vec![s.name.clone(), format!("error: {error}")],
            None => {
                let c = s.counts;
                let mut row = vec![
                    s.name.clone(),
                    s.created_at.clone(),
                    s.constitution_name.clone(),
                ];
                let numbers = [
                    s.records,
                    c.done,
                    c.failed + c.cancelled,
                    c.approved,
                    c.rejected,
                    c.pending,
                ];
                row.extend(numbers.iter().map(usize::to_string));
                row
            }
        })
        .collect();
    table(&headers, &rows)
}

/// A summary of the session in `dir`: manifest, counts, warnings and one line per record.
pub fn show(dir: &Path) -> anyhow::Result<String> {
    let session = Session::open_read_only(dir)
        .with_context(|| format!("could not open session {}", dir.display()))?;
    let m = session.manifest();
    let s = &m.settings;
    let c = session.state().counts();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "session       {} ({})",
        m.name,
        session.dir().display()
    );
    let _ = writeln!(text, "created       {}", m.created_at);
    let _ = writeln!(
        text,
        "constitution  {} (sha256 {})",
        m.constitution_name,
        m.constitution_sha256
            .get(..12)
            .unwrap_or(&m.constitution_sha256)
    );
    let _ = writeln!(text, "policy        {}", m.policy_model.id);
    let _ = writeln!(text, "feedback      {}", m.feedback_model.id);
    let _ = writeln!(
        text,
        "settings      {} rounds, temperature {}, top_p {}, seed {}",
        s.rounds, s.temperature, s.top_p, m.seed
    );
    let _ = writeln!(
        text,
        "records       {} ({} done, {} failed, {} cancelled)",
        session.state().records().len(),
        c.done,
        c.failed,
        c.cancelled
    );
    let _ = writeln!(
        text,
        "review        {} approved, {} rejected, {} pending, {} edited",
        c.approved, c.rejected, c.pending, c.edited
    );
    for warning in session.warnings() {
        let _ = writeln!(text, "warning       {warning}");
    }
    if !session.state().records().is_empty() {
        let rows: Vec<Vec<String>> = session
            .state()
            .records()
            .iter()
            .map(|r| record_row(r, &session))
            .collect();
        let _ = writeln!(text);
        text.push_str(&table(
            &["ID", "STATUS", "REVIEW", "EVASIVE", "P(A)", "PROMPT"],
            &rows,
        ));
    }
    Ok(text.trim_end().to_string())
}

fn record_row(record: &Record, session: &Session) -> Vec<String> {
    let review = session.state().review(&record.prompt.id);
    let mut review_text = format!("{:?}", review.state).to_lowercase();
    if review.edited.is_some() {
        review_text.push_str("+edit");
    }
    if review.flipped {
        review_text.push_str("+flip");
    }
    let status = match &record.status {
        RecordStatus::Done => "done".to_string(),
        RecordStatus::Failed(_) => "failed".to_string(),
        RecordStatus::Cancelled => "cancelled".to_string(),
    };
    let evasive = crate::quality::evasiveness(record);
    let evasive = match (evasive.initial, evasive.final_answer) {
        (true, true) => "initial+final",
        (true, false) => "initial",
        (false, true) => "final",
        (false, false) => "-",
    };
    let p_a = record
        .comparison
        .as_ref()
        .map_or("-".to_string(), |c| format!("{:.2}", c.p_a));
    vec![
        record.prompt.id.clone(),
        status,
        review_text,
        evasive.to_string(),
        p_a,
        clip(&record.prompt.text, 48),
    ]
}

/// `text` on one line, cut to `width` display columns with an ellipsis.
fn clip(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.width() <= width {
        return flat;
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in flat.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// Left-aligned columns separated by two spaces, padded by display width; the last column
/// of a row is not padded.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() && i + 1 < row.len() {
                widths[i] = widths[i].max(cell.width());
            }
        }
    }
    let mut out = String::new();
    let header_row: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header_row).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.width());
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::state::tests::record;
    use crate::session::store::tests::manifest;
    use crate::session::{Review, ReviewState};

    #[test]
    fn list_and_show_describe_sessions() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(list(tmp.path()).starts_with("no sessions in"));
        let dir = tmp.path().join("alpha");
        let mut s = Session::create(&dir, manifest("alpha")).unwrap();
        let mut evasive = record("how do I pick a lock?", RecordStatus::Done, "I can't help");
        if let Some(r) = evasive.initial.as_mut() {
            r.evasive = true;
        }
        s.append_record(&evasive).unwrap();
        s.append_record(&record("b", RecordStatus::Failed("x".into()), ""))
            .unwrap();
        let review = Review {
            state: ReviewState::Approved,
            edited: Some("e".into()),
            flipped: false,
            label_checked: false,
            at: "t".into(),
        };
        s.set_review(&evasive.prompt.id, review).unwrap();
        drop(s);

        let listing = list(tmp.path());
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), 2, "{listing}");
        assert!(lines[0].starts_with("NAME "));
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "alpha",
                "2024-01-01T00:00:00Z",
                "test-constitution",
                "2",
                "1",
                "1",
                "1",
                "0",
                "0"
            ]
        );

        let shown = show(&dir).unwrap();
        assert!(
            shown.contains("records       2 (1 done, 1 failed, 0 cancelled)"),
            "{shown}"
        );
        assert!(
            shown.contains("review        1 approved, 0 rejected, 0 pending, 1 edited"),
            "{shown}"
        );
        let row = shown
            .lines()
            .find(|l| l.starts_with(&evasive.prompt.id))
            .unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            &cells[1..5],
            // No round ran, so the initial answer is the final one too.
            ["done", "approved+edit", "initial+final", "-"],
            "{row}"
        );
        assert!(show(&tmp.path().join("nope")).is_err());
    }

    #[test]
    fn clip_cuts_by_display_width() {
        assert_eq!(clip("short\ntext", 20), "short text");
        let cut = clip("漢字漢字漢字", 7);
        assert_eq!(cut, "漢字漢…");
        assert!(cut.width() <= 7);
    }
}
