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

/// The word diff of `old` against `new` as styled pieces, in reading order.
pub fn diff_pieces(old: &str, new: &str) -> Vec<(String, Style)> {
    let diff = TextDiff::from_words(old, new);
    let mut pieces: Vec<(String, Style)> = Vec::new();
    for change in diff.iter_all_changes() {
        let style = match change.tag() {
            ChangeTag::Equal => Style::default(),
            ChangeTag::Delete => deleted_style(),
            ChangeTag::Insert => inserted_style(),
        };
        let value = change.value();
        match pieces.last_mut() {
            Some((text, s)) if *s == style => text.push_str(value),
            _ => pieces.push((value.to_string(), style)),
        }
    }
    pieces
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
    fn identical_texts_have_no_changes() {
        assert_eq!(diff_counts("same words", "same words"), (0, 0));
        let pieces = diff_pieces("same words", "same words");
        assert!(pieces.iter().all(|(_, s)| *s == Style::default()));
    }
}
