//! Positions in text: the one place that turns byte offsets (from the TOML parser, serde_json,
//! the CSV reader) into the 1-based line and column every error message shows, and back.
//! Offsets past the end or inside a multi-byte character are clamped, never sliced through,
//! so a position can always be computed, whatever the input.

/// Maps byte offsets in a text to 1-based (line, column) pairs, columns counted in characters.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// The 1-based line and column of a byte offset; offsets past the end (or inside a
    /// character) are clamped to the nearest valid position before them.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }

    /// The byte offset of a 1-based line and 1-based *byte* column (the way serde_json counts),
    /// clamped to the text and to a character boundary.
    pub fn offset_of(&self, line: usize, byte_column: usize) -> usize {
        let line = line.clamp(1, self.line_starts.len());
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        self.clamp((start + byte_column.saturating_sub(1)).min(end))
    }

    /// The byte offset of the start of a 1-based line (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// The 1-based (line, column) of a byte offset in `text`: [`LineIndex::position`] for one
/// look-up.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).position(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd = 1\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(2), (1, 3));
        assert_eq!(index.position(3), (2, 1));
        // 'ç' is two bytes; 'd' is the second character of line 2.
        assert_eq!(index.position(5), (2, 2));
        assert_eq!(index.position(text.len() - 1), (4, 1));
        assert_eq!(index.position(10_000), (4, 2));
        // Inside the two-byte character: clamped back to its start.
        assert_eq!(index.position(4), (2, 1));
    }

    #[test]
    fn byte_columns_map_back_to_offsets_clamped() {
        let text = "{}\n{\"p\": \"café\n";
        let index = LineIndex::new(text);
        assert_eq!(index.offset_of(1, 1), 0);
        assert_eq!(index.offset_of(2, 2), 4);
        // serde_json reports the column after the last byte of a torn 'é': inside the
        // character, so it clamps back to its start.
        let e = text.find('é').unwrap();
        assert_eq!(index.offset_of(2, e - 3 + 2), e);
        assert_eq!(index.position(index.offset_of(2, 99)), (2, 12));
        assert_eq!(index.offset_of(0, 0), 0);
        assert_eq!(index.offset_of(99, 1), text.len());
        assert_eq!(index.line_start(2), 3);
        assert_eq!(line_column(text, e + 1), (2, 11));
    }
}
