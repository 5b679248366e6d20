//! Importing principles from JSON files people already have, merged into one constitution.
//! Each file's layout is detected on its own ([`formats`]); ids are generated where the source
//! has none (`p01`, `c01`, ...) and made unique; the result must pass validation, so an import
//! never produces a constitution that `check` would reject.

pub mod formats;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::types::{ComparisonPrinciple, Constitution, Principle, Settings};
use super::validate::{validate, Problem};
use formats::{detect, extract, Layout, EXPECTED_LAYOUTS};

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no input files given")]
    NoInputs,
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not valid JSON: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: unrecognised layout; {EXPECTED_LAYOUTS}", path.display())]
    UnrecognisedLayout { path: PathBuf },
    #[error(
        "no critique/revision principles found in {files}; a constitution needs at least one \
         (comparison principles alone are not enough: pass the critique/revision file too)"
    )]
    NoPrinciples { files: String },
    #[error("the imported constitution is not valid: {}", problems.iter().map(|p| format!("[{}] {}", p.path, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid { problems: Vec<Problem> },
}

/// An import's result with what happened along the way.
#[derive(Debug)]
pub struct ImportReport {
    pub constitution: Constitution,
    /// Each input and the layout it was read as.
    pub sources: Vec<(PathBuf, Layout)>,
    /// Where each principle, comparison and example came from (`file.json, constitutions[2]`),
    /// in the constitution's order.
    pub principle_origins: Vec<String>,
    pub comparison_origins: Vec<String>,
    pub example_origins: Vec<String>,
    /// Entries that were skipped, prefixed with their file name.
    pub warnings: Vec<String>,
}

/// Imports and merges `paths` into one validated constitution. Skipped entries are logged as
/// warnings; use [`import_files_with_report`] to get them.
pub fn import_files(paths: &[PathBuf]) -> Result<Constitution, ImportError> {
    let report = import_files_with_report(paths)?;
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    Ok(report.constitution)
}

/// Imports and merges `paths`, returning the layouts seen and the warnings too.
pub fn import_files_with_report(paths: &[PathBuf]) -> Result<ImportReport, ImportError> {
    let first = paths.first().ok_or(ImportError::NoInputs)?;
    let mut constitution = Constitution {
        name: first
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "imported".into()),
        description: format!("Imported from {}.", file_names(paths)),
        settings: Settings::default(),
        principles: Vec::new(),
        comparisons: Vec::new(),
        examples: Vec::new(),
    };
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    let (mut principle_origins, mut comparison_origins, mut example_origins) =
        (Vec::new(), Vec::new(), Vec::new());

    for path in paths {
        let value = read_json(path)?;
        let layout =
            detect(&value).ok_or_else(|| ImportError::UnrecognisedLayout { path: path.clone() })?;
        let extracted = extract(layout, &value);
        let name = display_name(path);
        warnings.extend(
            extracted
                .warnings
                .into_iter()
                .map(|w| format!("{name}: {w}")),
        );
        let from = |origins: Vec<String>| origins.into_iter().map(|o| format!("{name}, {o}"));
        principle_origins.extend(from(extracted.principle_origins));
        comparison_origins.extend(from(extracted.comparison_origins));
        example_origins.extend(from(extracted.example_origins));
        constitution.principles.extend(extracted.principles);
        constitution.comparisons.extend(extracted.comparisons);
        constitution.examples.extend(extracted.examples);
        sources.push((path.clone(), layout));
    }

    if constitution.principles.is_empty() {
        return Err(ImportError::NoPrinciples {
            files: file_names(paths),
        });
    }
    number_principles(&mut constitution.principles);
    number_comparisons(&mut constitution.comparisons);
    let enabled = constitution.comparisons.len() as u32;
    let comparison = &mut constitution.settings.comparison;
    if enabled > 0 && comparison.ensemble_size > enabled {
        comparison.ensemble_size = enabled;
    }

    let problems = validate(&constitution);
    if !problems.is_empty() {
        return Err(ImportError::Invalid { problems });
    }
    Ok(ImportReport {
        constitution,
        sources,
        principle_origins,
        comparison_origins,
        example_origins,
        warnings,
    })
}

fn read_json(path: &Path) -> Result<serde_json::Value, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ImportError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

/// serde_json appends " at line L column C" to its messages; we print the position ourselves.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Gives every principle a unique simple id: kept ids stay (deduplicated with `-2`, `-3`...),
/// missing ones become `p01`, `p02`, ... in order.
fn number_principles(principles: &mut [Principle]) {
    let ids: Vec<String> = principles.iter().map(|p| p.id.clone()).collect();
    for (p, id) in principles.iter_mut().zip(unique_ids(&ids, 'p')) {
        p.id = id;
    }
}

fn number_comparisons(comparisons: &mut [ComparisonPrinciple]) {
    let ids: Vec<String> = comparisons.iter().map(|p| p.id.clone()).collect();
    for (p, id) in comparisons.iter_mut().zip(unique_ids(&ids, 'c')) {
        p.id = id;
    }
}

fn unique_ids(ids: &[String], prefix: char) -> Vec<String> {
    let width = ids.len().to_string().len().max(2);
    let mut taken: HashSet<String> = ids.iter().filter(|s| !s.is_empty()).cloned().collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut counter = 0;
    ids.iter()
        .map(|id| {
            let id = if id.is_empty() {
                loop {
                    counter += 1;
                    let candidate = format!("{prefix}{counter:0width$}");
                    if !taken.contains(&candidate) {
                        break candidate;
                    }
                }
            } else if used.contains(id) {
                (2..)
                    .map(|n| format!("{id}-{n}"))
                    .find(|c| !taken.contains(c) && !used.contains(c))
                    .unwrap_or_default()
            } else {
                id.clone()
            };
            taken.insert(id.clone());
            used.insert(id.clone());
            id
        })
        .collect()
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn file_names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| display_name(p))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
