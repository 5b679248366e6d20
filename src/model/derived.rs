//! The default model's converted copy: the pulled Q4_1 file re-quantized once (see
//! [`super::requantize`]) into a format candle has fast CPU kernels for, kept beside the
//! original in a directory of its own. The original stays; `CAI_DEFAULT_QUANT=original` (or
//! `q8_0`, the default) picks which one the workbench runs. (Q4_0 would be as fast but
//! re-rounding 4-bit weights onto another 4-bit grid raised perplexity by a third.)
//!
//! The copy's sha256 is recorded in a small JSON file next to (not inside) its directory, with
//! the original's sha256 and the format, so the copy can be checked like the original is.

use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use serde::{Deserialize, Serialize};

use super::fetch::{self, PullProgress};
use super::requantize::requantize;
use super::ModelError;

/// Environment variable choosing the default model's format: `original` or `q8_0`.
pub const FORMAT_ENV: &str = "CAI_DEFAULT_QUANT";

/// The format the default model runs in unless [`FORMAT_ENV`] says otherwise. Q8_0 decoded
/// about 1.5 times and prefilled about 1.7 times as fast as the original on a 2-core AVX2
/// machine, with perplexity within 1% of it (tests/requantized_model.rs).
pub const DEFAULT_FORMAT: DefaultFormat = DefaultFormat::Converted(GgmlDType::Q8_0);

/// Which file the default model is run from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultFormat {
    /// The pulled Q4_1 file as it is.
    Original,
    /// A copy converted to this format.
    Converted(GgmlDType),
}

impl DefaultFormat {
    /// The format chosen by [`FORMAT_ENV`], else [`DEFAULT_FORMAT`].
    pub fn from_env() -> Result<Self, ModelError> {
        match std::env::var(FORMAT_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v),
            _ => Ok(DEFAULT_FORMAT),
        }
    }

    /// Parses `original` (or `q4_1`) and `q8_0`.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "original" | "q4_1" => Ok(Self::Original),
            "q8_0" => Ok(Self::Converted(GgmlDType::Q8_0)),
            other => Err(ModelError::Fetch(format!(
                "{FORMAT_ENV}={other} is not a known format\n  fix: use original or q8_0"
            ))),
        }
    }
}

/// Lower-case label of a converted format, for file and directory names.
fn label(dtype: GgmlDType) -> String {
    format!("{dtype:?}").to_ascii_lowercase()
}

/// Where the copy in `dtype` lives.
pub fn converted_model_path(dtype: GgmlDType) -> PathBuf {
    let l = label(dtype);
    fetch::data_dir()
        .join("models")
        .join(format!("smollm2-135m-instruct-{l}"))
        .join(format!(
            "SmolLM2-135M-Instruct.{}.gguf",
            l.to_ascii_uppercase()
        ))
}

/// What was recorded when a copy was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionRecord {
    /// The copy's format, e.g. "Q8_0".
    pub format: String,
    /// The copy's sha256 and size.
    pub sha256: String,
    pub bytes: u64,
    /// The sha256 of the file it was made from.
    pub source_sha256: String,
}

fn record_path(model: &Path) -> PathBuf {
    let dir = model.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{}.json", name.unwrap_or_else(|| "model".into())))
}

/// The record of the copy in `dtype`, if one was made.
pub fn conversion_record(dtype: GgmlDType) -> Option<ConversionRecord> {
    let text = std::fs::read_to_string(record_path(&converted_model_path(dtype))).ok()?;
    serde_json::from_str(&text).ok()
}

/// Returns the copy of `original` in `dtype`, converting first if there is no copy matching its
/// record. The original's sha256 is checked before converting.
pub fn ensure_converted(
    original: &Path,
    dtype: GgmlDType,
    progress: &dyn Fn(PullProgress),
) -> Result<PathBuf, ModelError> {
    let path = converted_model_path(dtype);
    if let Some(record) = conversion_record(dtype) {
        let size_matches = std::fs::metadata(&path).is_ok_and(|m| m.len() == record.bytes);
        if size_matches && record.source_sha256 == fetch::DEFAULT_MODEL_SHA256 {
            return Ok(path);
        }
    }
    let source_sha = crate::fsutil::sha256_file(original)
        .map_err(|e| ModelError::Fetch(format!("{}: {e}", original.display())))?;
    if source_sha != fetch::DEFAULT_MODEL_SHA256 {
        return Err(ModelError::HashMismatch {
            path: original.display().to_string(),
            expected: fetch::DEFAULT_MODEL_SHA256.into(),
            actual: source_sha,
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| ModelError::Fetch(format!("cannot create {}: {e}", dir.display())))?;
    let summary = requantize(original, &path, dtype, &|p| {
        progress(PullProgress::Converting {
            done: p.done,
            total: p.total,
        })
    })?;
    let sha256 = crate::fsutil::sha256_file(&path)
        .map_err(|e| ModelError::Fetch(format!("{}: {e}", path.display())))?;
    let record = ConversionRecord {
        format: format!("{dtype:?}"),
        sha256,
        bytes: summary.bytes,
        source_sha256: source_sha,
    };
    let json = serde_json::to_string_pretty(&record)
        .map_err(|e| ModelError::Fetch(format!("conversion record: {e}")))?;
    crate::fsutil::write_atomic(&record_path(&path), json.as_bytes())
        .map_err(|e| ModelError::Fetch(format!("writing the conversion record: {e}")))?;
    Ok(path)
}

/// Rechecks the copy in `dtype` against its record.
pub fn verify_converted(dtype: GgmlDType) -> Result<PathBuf, ModelError> {
    let path = converted_model_path(dtype);
    let record = conversion_record(dtype).ok_or_else(|| ModelError::Missing {
        path: path.display().to_string(),
    })?;
    let actual = crate::fsutil::sha256_file(&path).map_err(|_| ModelError::Missing {
        path: path.display().to_string(),
    })?;
    if actual != record.sha256 {
        return Err(ModelError::HashMismatch {
            path: path.display().to_string(),
            expected: record.sha256,
            actual,
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_unknown_ones_say_what_to_use() {
        assert_eq!(
            DefaultFormat::parse("Original").unwrap(),
            DefaultFormat::Original
        );
        assert_eq!(
            DefaultFormat::parse(" q8_0 ").unwrap(),
            DefaultFormat::Converted(GgmlDType::Q8_0)
        );
        let err = DefaultFormat::parse("q4_0").unwrap_err().to_string();
        assert!(err.contains("original or q8_0"), "{err}");
    }

    #[test]
    fn the_copy_has_its_own_directory_and_the_record_sits_outside_it() {
        let model = converted_model_path(GgmlDType::Q8_0);
        let dir = model.parent().unwrap();
        assert_ne!(dir, fetch::default_model_path().parent().unwrap());
        let record = record_path(&model);
        assert_eq!(record.parent(), dir.parent());
        assert!(record
            .to_string_lossy()
            .ends_with("smollm2-135m-instruct-q8_0.json"));
    }
}
