//! `cai import`: converts JSON principle files (see [`crate::constitution::import`]) into one
//! constitution TOML file, written through the one TOML writer
//! ([`crate::constitution::document`]) with a comment above each principle, comparison and
//! example saying which file and entry it came from; written atomically, and an existing file
//! is only replaced with `force`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::constitution::document::new_document;
use crate::constitution::import::import_files_with_report;
use crate::constitution::parse_constitution;
use crate::fsutil::write_atomic;

/// Imports `inputs` into `out`; returns a one-line summary of what was written.
pub fn import(inputs: &[PathBuf], out: &Path, force: bool) -> anyhow::Result<String> {
    if out.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        );
    }
    let report = import_files_with_report(inputs)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let c = &report.constitution;
    let header = vec![
        format!(
            "Imported by `cai import` from {}.",
            report
                .sources
                .iter()
                .map(|(p, layout)| format!("{} ({})", p.display(), layout.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "Settings are the defaults; edit them to suit.".to_string(),
    ];
    let origins = |key: &str, i: usize| {
        let list = match key {
            "principles" => &report.principle_origins,
            "comparisons" => &report.comparison_origins,
            _ => &report.example_origins,
        };
        list.get(i).map(|origin| format!("from {origin}"))
    };
    let text = new_document(c, &header, &origins)
        .map_err(|e| anyhow::anyhow!("internal error: cannot write the constitution: {e}"))?
        .to_string();
    // The writer and the parser must agree; never leave a file `check` would reject.
    if let Err(diagnostics) = parse_constitution(&text, Some(out)) {
        let first = diagnostics
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        bail!("internal error: the generated TOML does not read back: {first}");
    }
    write_atomic(out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    let skipped = match report.warnings.len() {
        0 => String::new(),
        n => format!(", {n} entries skipped"),
    };
    Ok(format!(
        "wrote {}: \"{}\" with {} principles, {} comparisons, {} examples from {} file(s){skipped}",
        out.display(),
        c.name,
        c.principles.len(),
        c.comparisons.len(),
        c.examples.len(),
        report.sources.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constitution::load_constitution;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import")
            .join(name)
    }

    #[test]
    fn writes_a_valid_file_and_refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("imported.toml");
        let inputs = [
            fixture("critique_revision.json"),
            fixture("comparisons.json"),
        ];
        let summary = import(&inputs, &out, false).unwrap();
        assert!(
            summary.contains("3 principles, 4 comparisons, 0 examples from 2 file(s)"),
            "{summary}"
        );
        let (c, text) = load_constitution(&out).unwrap();
        assert_eq!(c.principles.len(), 3);
        // Each table says where it came from.
        assert!(
            text.starts_with("# Imported by `cai import` from "),
            "{text}"
        );
        assert_eq!(
            text.matches("\n# from critique_revision.json, ").count(),
            3,
            "{text}"
        );
        assert!(
            text.contains("# from comparisons.json, item 0\n[[comparisons]]"),
            "{text}"
        );

        let err = import(&inputs, &out, false).unwrap_err();
        assert!(err.to_string().contains("pass --force"), "{err}");
        let summary = import(&[fixture("reproduction.json")], &out, true).unwrap();
        assert!(summary.contains("2 entries skipped"), "{summary}");
        assert_eq!(load_constitution(&out).unwrap().0.examples.len(), 1);
    }

    #[test]
    fn failed_imports_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.toml");
        assert!(import(&[fixture("comparisons.json")], &out, false).is_err());
        assert!(!out.exists());
    }
}
