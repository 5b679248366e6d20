//! Diagnostics: one problem in a constitution file, placed at a 1-based line and column so an
//! editor (or the TUI) can jump to it. [`LineIndex`] (from [`super::position`]) turns byte offsets
//! from the TOML parser into those positions.

use std::fmt;
use std::path::PathBuf;

/// One problem found while reading or validating a constitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the text came from, when there was one.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The path of the offending field, e.g. `principles[3].id`, when known.
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at the start of the file, for problems that have no better place
    /// (the file could not be read, a required table is missing altogether).
    pub fn at_start(file: Option<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file,
            line: 1,
            column: 1,
            field: None,
            message: message.into(),
        }
    }
}

/// Every diagnostic on a line of its own, as error messages show them.
pub fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        write!(f, "{}:{}: ", self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "[{field}] ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_position_field_and_message() {
        let d = Diagnostic {
            file: Some(PathBuf::from("c.toml")),
            line: 4,
            column: 2,
            field: Some("principles[0].id".into()),
            message: "must not be empty".into(),
        };
        assert_eq!(
            d.to_string(),
            "c.toml:4:2: [principles[0].id] must not be empty"
        );
        let bare = Diagnostic {
            file: None,
            field: None,
            ..d
        };
        assert_eq!(bare.to_string(), "4:2: must not be empty");
    }
}
