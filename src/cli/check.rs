//! `cai check`: validates constitutions (`.toml`), prompt sets (`.jsonl`, `.json`, `.csv`,
//! `.txt`), model files (`.gguf`: header, architecture, not truncated) and sessions (a session
//! directory or its `events.jsonl`) without running anything, printing a one-line summary per
//! good file on stdout and every problem on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::constitution::load_constitution;
use crate::prompts::load_prompts;

/// Exit code when every file is fine.
pub const OK: i32 = 0;
/// Exit code when any file has a problem.
pub const INVALID: i32 = 2;

/// Checks every file; returns [`OK`] if all are fine, [`INVALID`] otherwise.
pub fn check(files: &[PathBuf]) -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    check_to(files, &mut stdout.lock(), &mut stderr.lock())
}

/// [`check`] writing to the given streams.
pub fn check_to(files: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut code = OK;
    if files.is_empty() {
        let _ = writeln!(err, "nothing to check: give constitution or prompt files");
        return INVALID;
    }
    for file in files {
        match check_one(file) {
            Ok(summary) => {
                let _ = writeln!(out, "{}: ok ({summary})", file.display());
            }
            Err(problems) => {
                code = INVALID;
                for problem in problems {
                    let _ = writeln!(err, "{problem}");
                }
            }
        }
    }
    code
}

/// Checks one file; `Ok` holds the counts for the summary, `Err` the printable problems.
fn check_one(file: &Path) -> Result<String, Vec<String>> {
    if file.is_dir() && file.join(crate::session::MANIFEST_FILE).exists() {
        return check_session(file);
    }
    if file
        .file_name()
        .is_some_and(|n| n == crate::session::EVENTS_FILE)
    {
        return check_log(file);
    }
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "toml" => {
            let (c, _) = load_constitution(file)
                .map_err(|ds| ds.iter().map(ToString::to_string).collect::<Vec<_>>())?;
            Ok(format!(
                "{} principles, {} comparisons",
                c.principles.len(),
                c.comparisons.len()
            ))
        }
        "jsonl" | "json" | "csv" | "txt" => {
            let prompts = load_prompts(file).map_err(|e| vec![e.to_string()])?;
            Ok(format!("{} prompts", prompts.len()))
        }
        "gguf" => crate::model::gguf::inspect(file)
            .map(|arch| format!("GGUF model, architecture {arch}"))
            .map_err(|e| vec![model_problem(file, &e.to_string())]),
        _ => Err(vec![format!(
            "{}:1:1: unknown file type; expected a constitution (.toml), a prompt set \
             (.jsonl, .json, .csv, .txt), a model (.gguf) or a session directory",
            file.display()
        )]),
    }
}

/// A model error as one `file: message` line (the message may name the file already).
fn model_problem(file: &Path, message: &str) -> String {
    let shown = file.display().to_string();
    match message.strip_prefix(&shown) {
        Some(rest) => format!("{shown}{rest}"),
        None => format!("{shown}: {message}"),
    }
}

/// A session directory: its manifest and every line of its log.
fn check_session(dir: &Path) -> Result<String, Vec<String>> {
    let session = crate::session::Session::open_read_only(dir).map_err(|e| vec![e.to_string()])?;
    if !session.warnings().is_empty() {
        let log = dir.join(crate::session::EVENTS_FILE);
        return Err(session
            .warnings()
            .iter()
            .map(|w| relabel(w, &log))
            .collect());
    }
    Ok(format!(
        "session, {} records",
        session.state().records().len()
    ))
}

/// An event log on its own.
fn check_log(path: &Path) -> Result<String, Vec<String>> {
    let mut replay =
        crate::session::replay(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    replay.drop_orphan_reviews(crate::session::EVENTS_FILE);
    if !replay.warnings.is_empty() {
        return Err(replay.warnings.iter().map(|w| relabel(w, path)).collect());
    }
    Ok(format!("session log, {} events", replay.events.len()))
}

/// Log warnings name the file by its name; give the path as it was typed.
fn relabel(warning: &str, path: &Path) -> String {
    match warning.strip_prefix(crate::session::EVENTS_FILE) {
        Some(rest) => format!("{}{rest}", path.display()),
        None => warning.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[PathBuf]) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = check_to(files, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn good_and_bad_files_are_reported_separately() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "name = \"g\"\n[[principles]]\nid = \"a\"\ncritique = \"c\"\nrevision = \"r\"\n",
        )
        .unwrap();
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "name = \"\"\n[settings]\nrounds = 99\n").unwrap();
        let prompts = dir.path().join("p.txt");
        std::fs::write(&prompts, "one\ntwo\n").unwrap();

        let (code, out, _) = run(&[good.clone(), prompts.clone()]);
        assert_eq!(code, OK);
        assert!(
            out.contains("good.toml: ok (1 principles, 0 comparisons)"),
            "{out}"
        );
        assert!(out.contains("p.txt: ok (2 prompts)"), "{out}");

        let (code, out, err) = run(&[good, bad, dir.path().join("x.bin")]);
        assert_eq!(code, INVALID);
        assert_eq!(out.lines().count(), 1);
        // All three problems of bad.toml, then the unknown file type.
        assert_eq!(err.lines().count(), 4, "{err}");
        assert!(err.contains("bad.toml:1:1: [name]"), "{err}");
        assert!(err.contains("bad.toml:3:1: [settings.rounds]"), "{err}");
        assert!(err.contains("x.bin:1:1: unknown file type"), "{err}");
    }

    #[test]
    fn no_files_is_an_error() {
        assert_eq!(run(&[]).0, INVALID);
    }
}
