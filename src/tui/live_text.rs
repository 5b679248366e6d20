//! The text of a running prompt as the views show it: the stages already finished, and the
//! current one split into the part shown, committed up to the last whitespace so words never
//! flicker, and the part still arriving.

use crate::pipeline::Stage;

/// Text of a running prompt: finished stages, and the current one split into the part shown
/// (committed up to the last whitespace, so words never flicker) and the part still arriving.
#[derive(Debug, Clone, Default)]
pub struct LiveText {
    pub stages: Vec<(Stage, String)>,
    pub current: Option<Stage>,
    pub committed: String,
    pub pending: String,
}

impl LiveText {
    /// Adds a streamed piece of text.
    pub fn push_token(&mut self, stage: Stage, text: &str) {
        if self.current != Some(stage) {
            self.start(stage);
        }
        self.pending.push_str(text);
        if let Some(pos) = self.pending.rfind(char::is_whitespace) {
            let cut = pos + self.pending[pos..].chars().next().map_or(1, char::len_utf8);
            let done: String = self.pending.drain(..cut).collect();
            self.committed.push_str(&done);
        }
    }

    /// Begins a stage.
    pub fn start(&mut self, stage: Stage) {
        self.current = Some(stage);
        self.committed.clear();
        self.pending.clear();
    }

    /// Ends a stage with its whole text.
    pub fn finish(&mut self, stage: Stage, text: &str) {
        self.stages.push((stage, text.to_string()));
        self.current = None;
        self.committed.clear();
        self.pending.clear();
    }

    /// Everything received so far, including the uncommitted tail (used when cancelled).
    pub fn partial(&self) -> String {
        format!("{}{}", self.committed, self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_text_is_committed_at_whitespace() {
        let mut live = LiveText::default();
        live.push_token(Stage::Initial, "Hel");
        assert_eq!(live.committed, "");
        live.push_token(Stage::Initial, "lo wor");
        assert_eq!(live.committed, "Hello ");
        assert_eq!(live.pending, "wor");
        assert_eq!(live.partial(), "Hello wor");
    }
}
