//! Word-level diff of two texts: deletions red and struck through, insertions green, the rest
//! plain, wrapped by display width. Used by the revision inspector.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use similar::{ChangeTag, TextDiff};

use super::wrap::wrap_spans;

/// Style of deleted words.
pub fn deleted_style() -> Style {
    Style::default()
        .fg(Color::Red)
        .add_modifier(Modifier::CROSSED_OUT)
}

/// Style of inserted words.
pub fn inserted_style() -> Style {
    Style::default().fg(Color::Green)
}

/// The word diff of `old` against `new` as styled pieces, in reading order. Runs of changed
/// words are grouped: all deleted words of a run, then all inserted ones, so the old and new
/// phrases read as phrases rather than interleaved words.
pub fn diff_pieces(old: &str, new: &str) -> Vec<(String, Style)> {
    let diff = TextDiff::from_words(old, new);
    let mut out = Pieces::default();
    let (mut deleted, mut inserted, mut gap) = (String::new(), String::new(), String::new());
    for change in diff.iter_all_changes() {
        let value = change.value();
        match change.tag() {
            ChangeTag::Equal
                if value.trim().is_empty() && !(deleted.is_empty() && inserted.is_empty()) =>
            {
                gap.push_str(value);
            }
            ChangeTag::Equal => {
                flush(&mut out, &mut deleted, &mut inserted, &mut gap);
                out.push(value, Style::default());
            }
            tag => {
                if !gap.is_empty() {
                    if !deleted.is_empty() {
                        deleted.push_str(&gap);
                    }
                    if !inserted.is_empty() {
                        inserted.push_str(&gap);
                    }
                    gap.clear();
                }
                if tag == ChangeTag::Delete {
                    deleted.push_str(value);
                } else {
                    inserted.push_str(value);
                }
            }
        }
    }
    flush(&mut out, &mut deleted, &mut inserted, &mut gap);
    out.0
}

/// Styled pieces, merging neighbours of the same style.
#[derive(Default)]
struct Pieces(Vec<(String, Style)>);

impl Pieces {
    fn push(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some((last, s)) if *s == style => last.push_str(text),
            _ => self.0.push((text.to_string(), style)),
        }
    }
}

/// Emits a run of changes: deleted words, a space, inserted words, then the whitespace after.
fn flush(out: &mut Pieces, deleted: &mut String, inserted: &mut String, gap: &mut String) {
    let del = deleted.trim_end();
    let ins = inserted.trim_end();
    let del_tail = &deleted[del.len()..];
    let ins_tail = &inserted[ins.len()..];
    out.push(del, deleted_style());
    if !del.is_empty() && !ins.is_empty() {
        out.push(" ", Style::default());
    }
    out.push(ins, inserted_style());
    let tail = if !gap.is_empty() {
        gap.as_str()
    } else if !ins_tail.is_empty() {
        ins_tail
    } else {
        del_tail
    };
    out.push(tail, Style::default());
    deleted.clear();
    inserted.clear();
    gap.clear();
}

/// How many words were deleted and inserted.
pub fn diff_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_words(old, new);
    let mut deleted = 0;
    let mut inserted = 0;
    for change in diff.iter_all_changes() {
        if change.value().trim().is_empty() {
            continue;
        }
        match change.tag() {
            ChangeTag::Delete => deleted += 1,
            ChangeTag::Insert => inserted += 1,
            ChangeTag::Equal => {}
        }
    }
    (deleted, inserted)
}

/// The word diff wrapped to `width` cells.
pub fn diff_lines(old: &str, new: &str, width: u16) -> Vec<Line<'static>> {
    wrap_spans(&diff_pieces(old, new), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_words_only() {
        let pieces = diff_pieces("I will help you hack it", "I will not help you with that");
        let deleted: String = pieces
            .iter()
            .filter(|(_, s)| *s == deleted_style())
            .map(|(t, _)| t.as_str())
            .collect();
        let inserted: String = pieces
            .iter()
            .filter(|(_, s)| *s == inserted_style())
            .map(|(t, _)| t.as_str())
            .collect();
        assert!(deleted.contains("hack"));
        assert!(inserted.contains("not"));
        assert!(!deleted.contains("will"));
        assert_eq!(diff_counts("a b c", "a x c"), (1, 1));
    }

    #[test]
    fn changed_runs_read_as_phrases() {
        let pieces = diff_pieces("one two three four", "one five six four");
        let text: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(text, "one two three five six four");
        assert!(pieces.contains(&("two three".to_string(), deleted_style())));
        assert!(pieces.contains(&("five six".to_string(), inserted_style())));
    }

    #[test]
    fn identical_texts_have_no_changes() {
        assert_eq!(diff_counts("same words", "same words"), (0, 0));
        let pieces = diff_pieces("same words", "same words");
        assert!(pieces.iter().all(|(_, s)| *s == Style::default()));
    }
}
