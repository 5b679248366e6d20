//! The constitution file as highlighted TOML: syntect with the TOML grammar bat ships (from
//! `two-face`; syntect bundles none for TOML), so multi-line strings, comments after a value,
//! inline tables and dates are coloured as TOML defines them. Results are cached per text,
//! since the file changes only on edits while frames are drawn many times a second.

use std::sync::OnceLock;

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;

struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
}

fn highlighter() -> &'static Highlighter {
    static CELL: OnceLock<Highlighter> = OnceLock::new();
    CELL.get_or_init(|| {
        let syntaxes = two_face::syntax::extra_newlines();
        let mut themes = ThemeSet::load_defaults();
        let theme = themes
            .themes
            .remove("base16-ocean.dark")
            .or_else(|| themes.themes.into_values().next())
            .unwrap_or_default();
        Highlighter { syntaxes, theme }
    })
}

/// Highlighted lines of a TOML text, remembered for the last text seen.
#[derive(Default)]
pub struct TomlView {
    text: String,
    lines: Vec<Line<'static>>,
}

impl TomlView {
    /// The highlighted lines of `text`, recomputed only when the text changed.
    pub fn lines(&mut self, text: &str) -> &[Line<'static>] {
        if self.text != text || (self.lines.is_empty() && !text.is_empty()) {
            self.text = text.to_string();
            self.lines = highlight_toml(text);
        }
        &self.lines
    }
}

/// Highlights a TOML text into one ratatui line per source line. A line the grammar cannot
/// colour (it never fails on text, but the API allows it) is shown plain.
pub fn highlight_toml(text: &str) -> Vec<Line<'static>> {
    let h = highlighter();
    let Some(syntax) = h.syntaxes.find_syntax_by_extension("toml") else {
        return text.lines().map(|l| Line::from(l.to_string())).collect();
    };
    let mut hl = HighlightLines::new(syntax, &h.theme);
    syntect::util::LinesWithEndings::from(text)
        .map(|line| match hl.highlight_line(line, &h.syntaxes) {
            Ok(ranges) => Line::from(
                ranges
                    .into_iter()
                    .map(|(style, piece)| {
                        let c = style.foreground;
                        Span::styled(
                            piece.trim_end_matches(['\n', '\r']).to_string(),
                            Style::default().fg(Color::Rgb(c.r, c.g, c.b)),
                        )
                    })
                    .filter(|span| !span.content.is_empty())
                    .collect::<Vec<_>>(),
            ),
            Err(_) => Line::from(line.trim_end_matches(['\n', '\r']).to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// The colour `line` gives the last character of `piece` (a comment's `#` may have a
    /// colour of its own).
    fn color_of(line: &Line, piece: &str) -> Option<Color> {
        let at = text(line).find(piece)? + piece.len() - 1;
        let mut start = 0;
        for span in &line.spans {
            start += span.content.len();
            if at < start {
                return span.style.fg;
            }
        }
        None
    }

    #[test]
    fn one_line_per_source_line_with_text_intact() {
        let src = "name = \"x\"\n# note\n\n[[principles]]\nid = \"harm\"\nenabled = true\n";
        let lines = highlight_toml(src);
        assert_eq!(lines.len(), src.lines().count());
        for (line, source) in lines.iter().zip(src.lines()) {
            assert_eq!(text(line), source);
        }
    }

    #[test]
    fn multi_line_strings_and_trailing_comments_are_coloured_as_toml() {
        let src = "# a comment line\n\
                   name = \"one line\"\n\
                   rounds = 2  # a trailing comment\n\
                   critique = \"\"\"\n\
                   Point out the harm # not a comment\n\
                   [not.a.table]\n\
                   \"\"\"\n\
                   enabled = true\n";
        let lines = highlight_toml(src);
        let comment = color_of(&lines[0], "# a comment").expect("comment colour");
        let string = color_of(&lines[1], "one line").expect("string colour");
        let number = color_of(&lines[2], "2").expect("number colour");
        assert_ne!(comment, string);
        assert_ne!(number, comment);
        // After a value, a comment is a comment (the line tokenizer coloured it as the number).
        assert_eq!(color_of(&lines[2], "# a trailing"), Some(comment));
        // Inside a multi-line string, `#` and `[` are text, not a comment and a table header.
        assert_eq!(color_of(&lines[4], "# not a comment"), Some(string));
        assert_eq!(color_of(&lines[4], "Point out"), Some(string));
        assert_eq!(color_of(&lines[5], "[not.a.table]"), Some(string));
        // And the string ends where it ends: the next key is a key again.
        assert_ne!(color_of(&lines[7], "enabled"), Some(string));
    }

    #[test]
    fn cache_follows_text_changes() {
        let mut view = TomlView::default();
        assert_eq!(view.lines("a = 1\n").len(), 1);
        assert_eq!(view.lines("a = 1\nb = 2\n").len(), 2);
    }
}
