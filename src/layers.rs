//! The crate's layers, lowest first. A module may import from modules of lower layers only:
//! never from a higher layer, nor from another module of its own layer. The test below reads
//! every source file and fails on an import that breaks the rule, naming the file and line.
//!
//! | layer | modules | what they are |
//! | --- | --- | --- |
//! | 0 | `fsutil`, `stats` | durable file writes and hashes; statistics with their uncertainty |
//! | 1 | `data` | plain data every layer shares: prompt, record, flags, diagnostics, positions |
//! | 2 | `constitution`, `model`, `quality`, `prompts` | the constitution file; model backends; quality rules; prompt-set readers |
//! | 3 | `pipeline` | critique/revision and AI-feedback comparisons over any backend |
//! | 4 | `session` | the append-only session log, its manifest and review state |
//! | 5 | `insights`, `eval` | statistics of a session; the judge measured on known answers |
//! | 6 | `export`, `ab` | training files (with what the judge's eval says); constitutions and models compared head to head |
//! | 7 | `tui`, `fuzz_entry` | the workbench; the fuzzers' entry points |
//! | 8 | `cli` | the command line: headless commands, or the workbench started with its arguments |

/// Every top-level module with its layer.
pub const LAYERS: &[(&str, u8)] = &[
    ("fsutil", 0),
    ("stats", 0),
    ("data", 1),
    ("constitution", 2),
    ("model", 2),
    ("quality", 2),
    ("prompts", 2),
    ("pipeline", 3),
    ("session", 4),
    ("insights", 5),
    ("eval", 5),
    ("export", 6),
    ("ab", 6),
    ("tui", 7),
    ("fuzz_entry", 7),
    ("cli", 8),
];

/// The layer of a top-level module.
pub fn layer_of(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// One import that breaks the layering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file, relative to `src/`.
    pub file: String,
    /// 1-based line of the import.
    pub line: usize,
    pub from: String,
    pub to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "src/{}:{}: `{}` (layer {}) imports `crate::{}` (layer {})",
            self.file,
            self.line,
            self.from,
            layer_of(&self.from).map_or("?".into(), |l| l.to_string()),
            self.to,
            layer_of(&self.to).map_or("?".into(), |l| l.to_string()),
        )
    }
}

/// The top-level module a source file (path relative to `src/`) belongs to; `None` for the
/// crate roots (`lib.rs`, `main.rs`), which may name every module.
pub fn module_of(file: &str) -> Option<String> {
    let first = file.split('/').next()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (module != "lib" && module != "main").then(|| module.to_string())
}

/// The modules `text` names after `crate::`, with the line of each, comments left out. A
/// grouped import (`use crate::{a::X, b::{Y, Z}}`) names each of its first segments.
pub fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_block_comment = false;
    let mut in_group: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let mut line = raw.to_string();
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    line = line[end + 2..].to_string();
                    in_block_comment = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            if !line[start..].contains("*/") {
                in_block_comment = true;
            }
            line.truncate(start);
        }
        if let Some(comment) = line.find("//") {
            line.truncate(comment);
        }
        let at = n + 1;
        if let Some(depth) = in_group.as_mut() {
            found.extend(group_heads(&line, depth).into_iter().map(|m| (at, m)));
            if *depth == 0 {
                in_group = None;
            }
            continue;
        }
        let mut rest = line.as_str();
        while let Some(pos) = rest.find("crate::") {
            let after = &rest[pos + "crate::".len()..];
            if let Some(inner) = after.strip_prefix('{') {
                let mut depth = 1;
                found.extend(group_heads(inner, &mut depth).into_iter().map(|m| (at, m)));
                if depth > 0 {
                    in_group = Some(depth);
                }
                break;
            }
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((at, name));
            }
            rest = after;
        }
    }
    found
}

/// The first segments of the items of a `{...}` group read so far, at nesting `depth` (1 at
/// the group's own level); `depth` is updated as braces open and close.
fn group_heads(text: &str, depth: &mut usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut at_item_start = *depth == 1;
    let mut word = String::new();
    let flush = |word: &mut String, heads: &mut Vec<String>, take: bool| {
        if take && !word.is_empty() && word != "self" {
            heads.push(word.clone());
        }
        word.clear();
    };
    for c in text.chars() {
        if *depth == 0 {
            break;
        }
        match c {
            c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
            _ => {
                flush(&mut word, &mut heads, at_item_start);
                match c {
                    '{' => {
                        *depth += 1;
                        at_item_start = false;
                    }
                    '}' => {
                        *depth -= 1;
                        at_item_start = false;
                    }
                    ',' => at_item_start = *depth == 1,
                    c if c.is_whitespace() => {}
                    _ => at_item_start = false,
                }
            }
        }
    }
    flush(&mut word, &mut heads, at_item_start);
    heads
}

/// The imports of `files` (path relative to `src/`, text) that break the layering. A module
/// missing from [`LAYERS`] is a violation too, so a new module must be placed.
pub fn violations(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (file, text) in files {
        let Some(from) = module_of(file).filter(|m| m != "layers") else {
            continue;
        };
        for (line, to) in crate_imports(text) {
            if to == from {
                continue;
            }
            let upward = match (layer_of(&from), layer_of(&to)) {
                (Some(a), Some(b)) => b >= a,
                _ => true,
            };
            if upward {
                out.push(Violation {
                    file: file.clone(),
                    line,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.rs` file under `src/`, relative path and text.
    fn sources() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(&root).expect("under src/");
                    let text = std::fs::read_to_string(&path).expect("a UTF-8 source file");
                    out.push((rel.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
        out
    }

    #[test]
    fn every_module_imports_only_from_lower_layers() {
        let files = sources();
        assert!(files.len() > 100, "read {} files", files.len());
        let found = violations(&files);
        let lines: Vec<String> = found.iter().map(|v| v.to_string()).collect();
        assert!(lines.is_empty(), "upward imports:\n{}", lines.join("\n"));
    }

    #[test]
    fn every_top_level_module_has_a_layer() {
        let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs"))
            .expect("lib.rs");
        for line in lib.lines() {
            if let Some(name) = line
                .strip_prefix("pub mod ")
                .and_then(|l| l.strip_suffix(';'))
            {
                assert!(layer_of(name).is_some(), "`{name}` has no layer in LAYERS");
            }
        }
    }

    #[test]
    fn a_planted_upward_import_is_found_in_every_form() {
        let file = |text: &str| vec![("quality/flags.rs".to_string(), text.to_string())];
        for planted in [
            "use crate::pipeline::Record;",
            "use crate::{data::Record, pipeline::runner};",
            "use crate::{\n    data::Record,\n    session::{Review, ReviewState},\n};",
            "fn f() { let _ = crate::tui::App::new; }",
            "use crate::model::{Backend, ChatMessage};",
        ] {
            let found = violations(&file(planted));
            assert_eq!(found.len(), 1, "{planted}: {found:?}");
            assert_eq!(found[0].from, "quality");
        }
        let fine = "// use crate::pipeline::Record;\n/// [`crate::session::Session`]\nuse crate::data::{Record, Response};\nuse super::refusal;\n";
        assert_eq!(violations(&file(fine)), Vec::new());
        let v = &violations(&file("\n\nuse crate::session::Session;"))[0];
        assert_eq!(
            v.to_string(),
            "src/quality/flags.rs:3: `quality` (layer 2) imports `crate::session` (layer 4)"
        );
    }

    #[test]
    fn the_workbench_does_not_reach_into_the_command_line() {
        let found = violations(&[("tui/app.rs".into(), "use crate::cli::args;".into())]);
        assert_eq!(found.len(), 1);
        let found = violations(&[("cli/tui.rs".into(), "use crate::tui::App;".into())]);
        assert_eq!(found, Vec::new());
    }
}
