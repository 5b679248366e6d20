//! Wrapping styled text by display width (not bytes or chars), so wide characters and emoji
//! line up, plus a small cache so long texts are wrapped once per width rather than every frame.
//!
//! `textwrap` finds the words, breaks words wider than a line and fits words into lines; this
//! module only carries the styles of the pieces across, and expands tabs first (a tab has no
//! display width of its own, so unexpanded it would count as zero cells and draw as nothing).

use std::collections::HashMap;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use textwrap::core::{break_words, display_width, Word};
use textwrap::wrap_algorithms::wrap_first_fit;
use textwrap::WordSeparator;

/// Tab stops are every this many cells.
const TAB_WIDTH: usize = 4;

/// Wraps styled pieces of text into lines at most `width` cells wide. Newlines in the text
/// start new lines; words longer than the width are broken by character; the spaces where a
/// line breaks are dropped; tabs become spaces up to the next tab stop.
pub fn wrap_spans(pieces: &[(String, Style)], width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    source_lines(pieces)
        .iter()
        .flat_map(|line| wrap_line(line, width))
        .collect()
}

/// Wraps plain text in one style.
pub fn wrap_text(text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    wrap_spans(&[(text.to_string(), style)], width)
}

/// One source line: its text (tabs expanded) and the style of each byte range of it.
#[derive(Default)]
struct SourceLine {
    text: String,
    /// (end byte, style) of each styled run, in order; a run starts where the one before ends.
    runs: Vec<(usize, Style)>,
}

impl SourceLine {
    fn push(&mut self, text: &str, style: Style) {
        for c in text.chars() {
            if c == '\t' {
                let column = display_width(&self.text);
                let spaces = TAB_WIDTH - column % TAB_WIDTH;
                self.text.extend(std::iter::repeat_n(' ', spaces));
            } else {
                self.text.push(c);
            }
        }
        self.runs.push((self.text.len(), style));
    }

    /// The styled spans of the byte range `start..end`.
    fn spans(&self, start: usize, end: usize, out: &mut Vec<Span<'static>>) {
        let mut run_start = 0;
        for &(run_end, style) in &self.runs {
            let (from, to) = (start.max(run_start), end.min(run_end));
            if from < to {
                out.push(Span::styled(self.text[from..to].to_string(), style));
            }
            run_start = run_end;
        }
    }
}

/// The pieces split at newlines into source lines, each keeping its pieces' styles.
fn source_lines(pieces: &[(String, Style)]) -> Vec<SourceLine> {
    let mut lines = vec![SourceLine::default()];
    for (text, style) in pieces {
        for (i, segment) in text.split('\n').enumerate() {
            if i > 0 {
                lines.push(SourceLine::default());
            }
            if let Some(line) = lines.last_mut() {
                line.push(segment, *style);
            }
        }
    }
    lines
}

/// Byte offset of `part` inside `whole`, of which it is a slice.
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// One source line wrapped at `width`: at least one (maybe empty) line.
fn wrap_line(line: &SourceLine, width: usize) -> Vec<Line<'static>> {
    let words: Vec<Word> = WordSeparator::AsciiSpace.find_words(&line.text).collect();
    let words = break_words(words, width);
    if words.is_empty() {
        return vec![Line::default()];
    }
    wrap_first_fit(&words, &[width as f64])
        .into_iter()
        .map(|row| {
            let mut spans = Vec::new();
            if let (Some(first), Some(last)) = (row.first(), row.last()) {
                let start = offset(&line.text, first.word);
                // The last word's trailing spaces fall at the break and are dropped, unless
                // this is the end of the source line, where they are part of the text.
                let end = offset(&line.text, last.word) + last.word.len();
                let end = if end + last.whitespace.len() == line.text.len() {
                    line.text.len()
                } else {
                    end
                };
                line.spans(start, end, &mut spans);
            }
            Line::from(spans)
        })
        .collect()
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

/// Draws the lines from `first` on that fit in `area` (cloning only those).
pub fn draw_lines(frame: &mut Frame, lines: &[Line<'static>], first: usize, area: Rect) {
    let visible: Vec<Line> = lines
        .iter()
        .skip(first)
        .take(usize::from(area.height))
        .cloned()
        .collect();
    frame.render_widget(Paragraph::new(visible), area);
}

#[cfg(test)]
mod tests {
    use ratatui::style::Color;

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
        assert_eq!(plain(&lines), vec!["the quick", "brown fox", "jumps"]);
        for l in &lines {
            assert!(l.width() <= 10);
        }
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let lines = wrap_text("日本語のテキスト", Style::default(), 6);
        assert_eq!(plain(&lines), vec!["日本語", "のテキ", "スト"]);
        let lines = wrap_text("ab 日本語 cd", Style::default(), 7);
        assert_eq!(plain(&lines), vec!["ab", "日本語", "cd"]);
    }

    #[test]
    fn tabs_take_the_cells_up_to_the_next_tab_stop() {
        // Counted as zero cells, the tab let "a\tbcd efg" pass as 7 cells on one line of 8;
        // expanded, the line is "a   bcd efg", 11 cells, so "efg" goes to the next line.
        let lines = wrap_text("a\tbcd efg", Style::default(), 8);
        assert_eq!(plain(&lines), vec!["a   bcd", "efg"]);
        let lines = wrap_text("ab\tc\td", Style::default(), 40);
        assert_eq!(plain(&lines), vec!["ab  c   d"]);
        for l in &lines {
            assert_eq!(l.width(), 9);
        }
    }

    #[test]
    fn newlines_start_new_lines() {
        let lines = wrap_text("a\n\nb", Style::default(), 20);
        assert_eq!(plain(&lines), vec!["a", "", "b"]);
        assert_eq!(plain(&wrap_text("", Style::default(), 5)), vec![""]);
    }

    #[test]
    fn long_words_break_and_indentation_stays() {
        let lines = wrap_text("  abcdefghij", Style::default(), 4);
        assert_eq!(plain(&lines), vec!["", "abcd", "efgh", "ij"]);
        let lines = wrap_text("  ab cd", Style::default(), 20);
        assert_eq!(plain(&lines), vec!["  ab cd"]);
    }

    #[test]
    fn styles_follow_their_words_across_lines() {
        let red = Style::default().fg(Color::Red);
        let green = Style::default().fg(Color::Green);
        let pieces = [
            ("old words ".to_string(), red),
            ("new".to_string(), green),
            ("er text".to_string(), Style::default()),
        ];
        let lines = wrap_spans(&pieces, 9);
        assert_eq!(plain(&lines), vec!["old words", "newer", "text"]);
        assert_eq!(lines[0].spans[0].style, red);
        assert_eq!(lines[1].spans[0].content, "new");
        assert_eq!(lines[1].spans[0].style, green);
        assert_eq!(lines[1].spans[1].content, "er");
        assert_eq!(lines[1].spans[1].style, Style::default());
    }
}
