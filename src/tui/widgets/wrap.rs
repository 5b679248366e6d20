//! Wrapping styled text by display width (not bytes or chars), so wide characters and emoji
//! line up, plus a small cache so long texts are wrapped once per width rather than every frame.

use std::collections::HashMap;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Wraps styled pieces of text into lines at most `width` cells wide. Newlines in the text
/// start new lines; words longer than the width are broken by character.
pub fn wrap_spans(pieces: &[(String, Style)], width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (text, style) in pieces {
        for (i, segment) in text.split('\n').enumerate() {
            if i > 0 {
                lines.push(Line::from(std::mem::take(&mut current)));
                used = 0;
            }
            for word in split_keeping_spaces(segment) {
                let w = word.width();
                if used + w > width && used > 0 {
                    lines.push(Line::from(std::mem::take(&mut current)));
                    used = 0;
                    if word.trim().is_empty() {
                        continue;
                    }
                }
                if w > width {
                    push_broken(word, *style, width, &mut lines, &mut current, &mut used);
                } else {
                    current.push(Span::styled(word.to_string(), *style));
                    used += w;
                }
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// Wraps plain text in one style.
pub fn wrap_text(text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    wrap_spans(&[(text.to_string(), style)], width)
}

/// Splits into runs of non-space and runs of spaces, keeping both.
fn split_keeping_spaces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let space = c == ' ' || c == '\t';
        if let Some(prev) = in_space {
            if prev != space {
                out.push(&text[start..i]);
                start = i;
            }
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn push_broken(
    word: &str,
    style: Style,
    width: usize,
    lines: &mut Vec<Line<'static>>,
    current: &mut Vec<Span<'static>>,
    used: &mut usize,
) {
    let mut piece = String::new();
    for c in word.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if *used + cw > width && *used > 0 {
            if !piece.is_empty() {
                current.push(Span::styled(std::mem::take(&mut piece), style));
            }
            lines.push(Line::from(std::mem::take(current)));
            *used = 0;
        }
        piece.push(c);
        *used += cw;
    }
    if !piece.is_empty() {
        current.push(Span::styled(piece, style));
    }
}

/// Wrapped lines remembered by a caller-chosen key and the width they were wrapped at.
/// The key should change whenever the content does (e.g. record id plus a version counter).
#[derive(Default)]
pub struct WrapCache {
    entries: HashMap<(String, u16), Vec<Line<'static>>>,
}

impl WrapCache {
    /// The cached lines for `key` at `width`, building them with `build` on a miss.
    pub fn get_or_build(
        &mut self,
        key: &str,
        width: u16,
        build: impl FnOnce() -> Vec<Line<'static>>,
    ) -> &[Line<'static>] {
        // Keep the cache bounded: a session has many records, a screen shows a few.
        if self.entries.len() > 256 {
            self.entries.clear();
        }
        self.entries
            .entry((key.to_string(), width))
            .or_insert_with(build)
    }

    /// Forgets everything (content changed in a way keys do not capture).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_on_words_by_display_width() {
        let lines = wrap_text("the quick brown fox jumps", Style::default(), 10);
        assert_eq!(plain(&lines), vec!["the quick ", "brown fox ", "jumps"]);
        for l in &lines {
            assert!(l.width() <= 10);
        }
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let lines = wrap_text("日本語のテキスト", Style::default(), 6);
        for l in &lines {
            assert!(l.width() <= 6, "{:?}", plain(&lines));
        }
        assert_eq!(plain(&lines).concat(), "日本語のテキスト");
    }

    #[test]
    fn newlines_start_new_lines() {
        let lines = wrap_text("a\n\nb", Style::default(), 20);
        assert_eq!(plain(&lines), vec!["a", "", "b"]);
    }
}
