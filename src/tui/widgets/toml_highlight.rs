//! The constitution file as highlighted TOML. syntect does the work when its bundled syntaxes
//! know TOML; otherwise a small line tokenizer colours tables, keys, strings, numbers and
//! comments with the same theme colours. Results are cached per text, since the file changes
//! only on edits while frames are drawn many times a second.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
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
        let syntaxes = SyntaxSet::load_defaults_newlines();
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

/// Highlights a TOML text into one ratatui line per source line.
pub fn highlight_toml(text: &str) -> Vec<Line<'static>> {
    let h = highlighter();
    match h.syntaxes.find_syntax_by_extension("toml") {
        Some(syntax) => {
            let mut lines = Vec::new();
            let mut hl = HighlightLines::new(syntax, &h.theme);
            for line in syntect::util::LinesWithEndings::from(text) {
                match hl.highlight_line(line, &h.syntaxes) {
                    Ok(ranges) => lines.push(Line::from(
                        ranges
                            .into_iter()
                            .map(|(style, piece)| {
                                let c = style.foreground;
                                Span::styled(
                                    piece.trim_end_matches('\n').to_string(),
                                    Style::default().fg(Color::Rgb(c.r, c.g, c.b)),
                                )
                            })
                            .collect::<Vec<_>>(),
                    )),
                    Err(_) => lines.push(Line::from(line.trim_end_matches('\n').to_string())),
                }
            }
            lines
        }
        None => text.lines().map(tokenize_line).collect(),
    }
}

/// Colour of a theme scope, falling back to `fallback`.
fn scope_color(scope: &str, fallback: Color) -> Color {
    let h = highlighter();
    let Ok(selector) = syntect::highlighting::ScopeSelectors::from_str_like(scope) else {
        return fallback;
    };
    h.theme
        .scopes
        .iter()
        .find(|item| item.scope.selectors == selector.selectors)
        .and_then(|item| item.style.foreground)
        .map(|c| Color::Rgb(c.r, c.g, c.b))
        .unwrap_or(fallback)
}

/// A TOML line split into coloured pieces (the fallback when syntect has no TOML syntax).
fn tokenize_line(line: &str) -> Line<'static> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return Line::from(Span::styled(
            line.to_string(),
            Style::default().fg(scope_color("comment", Color::DarkGray)),
        ));
    }
    if trimmed.starts_with('[') {
        return Line::from(Span::styled(
            line.to_string(),
            Style::default()
                .fg(scope_color("entity.name", Color::Yellow))
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(eq) = find_assignment(line) {
        let (key, rest) = line.split_at(eq);
        let value = &rest[1..];
        let value_trim = value.trim_start();
        let value_color = if value_trim.starts_with('"') || value_trim.starts_with('\'') {
            scope_color("string", Color::Green)
        } else if value_trim.starts_with("true") || value_trim.starts_with("false") {
            scope_color("constant", Color::Magenta)
        } else if value_trim.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            scope_color("constant.numeric", Color::LightRed)
        } else {
            Color::Reset
        };
        return Line::from(vec![
            Span::styled(
                key.to_string(),
                Style::default().fg(scope_color("variable", Color::LightBlue)),
            ),
            Span::raw("="),
            Span::styled(value.to_string(), Style::default().fg(value_color)),
        ]);
    }
    // Continuation of a multi-line string.
    Line::from(Span::styled(
        line.to_string(),
        Style::default().fg(scope_color("string", Color::Green)),
    ))
}

/// Byte index of the `=` of a `key = value` line, if the line is one.
fn find_assignment(line: &str) -> Option<usize> {
    let eq = line.find('=')?;
    let key = line[..eq].trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    bare.then_some(eq)
}

/// Parses a scope selector string (small helper trait to keep the call site readable).
trait FromStrLike: Sized {
    fn from_str_like(s: &str) -> Result<Self, ()>;
}

impl FromStrLike for syntect::highlighting::ScopeSelectors {
    fn from_str_like(s: &str) -> Result<Self, ()> {
        s.parse().map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_source_line_with_text_intact() {
        let src = "name = \"x\"\n# note\n\n[[principles]]\nid = \"harm\"\nenabled = true\n";
        let lines = highlight_toml(src);
        assert_eq!(lines.len(), src.lines().count());
        for (line, source) in lines.iter().zip(src.lines()) {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert_eq!(text, source);
        }
    }

    #[test]
    fn cache_follows_text_changes() {
        let mut view = TomlView::default();
        assert_eq!(view.lines("a = 1\n").len(), 1);
        assert_eq!(view.lines("a = 1\nb = 2\n").len(), 2);
    }
}
