//! A contestant as the command line names it: `NAME=MODEL[:CONSTITUTION.toml]`. `MODEL` is
//! `default` (the default model), a GGUF file, a hub name `hf:OWNER/REPO/FILE.gguf` or a
//! profile of `cai.toml` (a local file or servers); a trailing `:PATH.toml` is the
//! constitution, and without one the contestant gives the model's plain answer.

use std::path::PathBuf;

/// The model name that means the default model.
pub const DEFAULT_MODEL: &str = "default";
/// The longest contestant name (it names a folder and a table row).
pub const MAX_NAME: usize = 40;

/// One `--contestant` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestantSpec {
    pub name: String,
    pub model: String,
    pub constitution: Option<PathBuf>,
}

/// Parses `NAME=MODEL[:CONSTITUTION.toml]`; the error says what is wrong and how to write it.
pub fn parse_contestant(text: &str) -> Result<ContestantSpec, String> {
    let form = "write it as NAME=MODEL or NAME=MODEL:CONSTITUTION.toml, e.g. \
                base=default or tuned=models/tuned.gguf:constitutions/harmless.toml";
    let Some((name, rest)) = text.split_once('=') else {
        return Err(format!("--contestant {text:?} has no '='; {form}"));
    };
    check_name(name).map_err(|why| format!("--contestant {text:?}: {why}"))?;
    let (model, constitution) = match rest.rsplit_once(':') {
        Some((model, path)) if path.ends_with(".toml") => (model, Some(PathBuf::from(path))),
        _ => (rest, None),
    };
    if model.trim().is_empty() {
        return Err(format!("--contestant {text:?} names no model; {form}"));
    }
    Ok(ContestantSpec {
        name: name.to_string(),
        model: model.to_string(),
        constitution,
    })
}

/// A name is a folder of the arena and a row of its table: letters, digits and `-_+.`, at
/// most [`MAX_NAME`] characters, not starting with a dot.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the contestant's name is empty".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("the name is longer than {MAX_NAME} characters"));
    }
    if name.starts_with('.') {
        return Err("the name starts with a dot".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_+.".contains(*c)))
    {
        return Err(format!(
            "the name has {c:?}; use letters, digits and - _ + ."
        ));
    }
    Ok(())
}

/// Checks that no two contestants share a name and that there are at least two.
pub fn check_field(specs: &[ContestantSpec]) -> Result<(), String> {
    if specs.len() < 2 {
        return Err(format!(
            "an arena needs at least two contestants (--contestant NAME=MODEL[:CONSTITUTION.toml], repeated), got {}",
            specs.len()
        ));
    }
    for (i, s) in specs.iter().enumerate() {
        if specs[..i].iter().any(|t| t.name == s.name) {
            return Err(format!(
                "two contestants are named {:?}; give each its own name",
                s.name
            ));
        }
    }
    Ok(())
}
