//! Plain-text prompt sets: one prompt per non-empty line; lines starting with `#` are comments.

use super::{Located, Prompt};

/// Reads every non-empty, non-comment line as a prompt (surrounding whitespace trimmed).
pub fn parse(text: &str) -> Vec<Located> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return None;
            }
            let column = raw[..raw.len() - raw.trim_start().len()].chars().count() + 1;
            Some(Located {
                prompt: Prompt::new(trimmed, None),
                line: i + 1,
                column,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_blank_and_comment_lines_and_trims() {
        let located = parse("# header\n\n  first prompt  \r\n#another\nsecond\n");
        let texts: Vec<_> = located.iter().map(|l| l.prompt.text.as_str()).collect();
        assert_eq!(texts, ["first prompt", "second"]);
        assert_eq!((located[0].line, located[0].column), (3, 3));
        assert_eq!(located[1].line, 5);
        assert_eq!(located[1].prompt.category, None);
    }
}
