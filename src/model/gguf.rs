//! The check a GGUF file passes before it goes to mistral.rs: it exists, candle's GGUF reader
//! (`candle_core::quantized::gguf_file`, the one mistral.rs loads it with) reads its header and
//! metadata, and its `general.architecture` is one mistral.rs loads; a directory, an empty file
//! and a file shorter than its tensor table says (an interrupted copy) are named as such. Bad
//! files get a clear error here instead of a failure deep inside the loader.

use std::io::BufReader;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};

use super::ModelError;

/// Architectures mistral.rs 0.8 loads from GGUF.
pub const SUPPORTED_ARCHITECTURES: &[&str] = &[
    "llama",
    "phi2",
    "phi3",
    "starcoder2",
    "qwen2",
    "qwen3",
    "qwen3moe",
];

/// Checks that `path` exists, is a GGUF file and has a supported architecture; returns the
/// architecture name.
pub fn inspect(path: &Path) -> Result<String, ModelError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|_| ModelError::Missing {
        path: shown.clone(),
    })?;
    let length = match file.metadata() {
        Ok(m) if m.is_dir() => {
            return Err(ModelError::BadFile(format!(
                "{shown} is a directory, not a model file\n  fix: pass the path of the .gguf file"
            )))
        }
        Ok(m) if m.len() == 0 => {
            return Err(ModelError::BadFile(format!(
                "{shown} is empty (0 bytes)\n  fix: download it again (`cai model pull` for the \
                 default model)"
            )))
        }
        Ok(m) => m.len(),
        Err(_) => u64::MAX,
    };
    // A text file fails in the reader: not a GGUF file. One that starts as GGUF but whose
    // header does not read was cut short or damaged.
    let mut reader = BufReader::new(file);
    let content = Content::read(&mut reader).map_err(|e| {
        let mut magic = [0u8; 4];
        let starts_as_gguf = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && &magic == b"GGUF";
        if starts_as_gguf {
            ModelError::BadFile(format!(
                "{shown}: the GGUF header does not read ({e}): the file is truncated or \
                 damaged\n  fix: download it again (`cai model pull` for the default model)"
            ))
        } else {
            ModelError::NotGguf {
                path: shown.clone(),
            }
        }
    })?;
    // The tensor table says how far the data reaches; a shorter file was cut off.
    let needed = content
        .tensor_infos
        .values()
        .map(|t| {
            let blocks = (t.shape.elem_count() / t.ggml_dtype.block_size()) as u64;
            t.offset
                .saturating_add(blocks.saturating_mul(t.ggml_dtype.type_size() as u64))
        })
        .max()
        .map(|end| content.tensor_data_offset.saturating_add(end));
    if let Some(needed) = needed.filter(|&n| n > length) {
        return Err(ModelError::BadFile(format!(
            "{shown}: the file is truncated: its tensors need {needed} bytes, it has {length}\n  \
             fix: download it again (`cai model pull` for the default model)"
        )));
    }
    match content.metadata.get("general.architecture") {
        Some(Value::String(arch)) if SUPPORTED_ARCHITECTURES.contains(&arch.as_str()) => {
            Ok(arch.clone())
        }
        Some(Value::String(arch)) => Err(ModelError::UnsupportedArchitecture {
            path: shown,
            arch: arch.clone(),
        }),
        _ => Err(ModelError::Backend(format!(
            "{shown}: GGUF metadata has no general.architecture; the file is incomplete or not a model"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_U32: u32 = 4;
    const TYPE_STRING: u32 = 8;
    const TYPE_ARRAY: u32 = 9;

    /// A GGUF (version 3) with no tensors and three metadata keys, the architecture last.
    fn gguf_with(arch: Option<&str>) -> Vec<u8> {
        let mut v = b"GGUF".to_vec();
        v.extend(3u32.to_le_bytes());
        v.extend(0u64.to_le_bytes()); // tensors
        v.extend((2 + u64::from(arch.is_some())).to_le_bytes()); // metadata keys
        let string = |v: &mut Vec<u8>, s: &str| {
            v.extend((s.len() as u64).to_le_bytes());
            v.extend(s.as_bytes());
        };
        string(&mut v, "general.alignment");
        v.extend(TYPE_U32.to_le_bytes());
        v.extend(32u32.to_le_bytes());
        string(&mut v, "tokenizer.tokens");
        v.extend(TYPE_ARRAY.to_le_bytes());
        v.extend(TYPE_STRING.to_le_bytes());
        v.extend(2u64.to_le_bytes());
        string(&mut v, "a");
        string(&mut v, "bc");
        if let Some(arch) = arch {
            string(&mut v, "general.architecture");
            v.extend(TYPE_STRING.to_le_bytes());
            string(&mut v, arch);
        }
        v
    }

    fn inspect_bytes(bytes: &[u8]) -> Result<String, ModelError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        std::fs::write(&p, bytes).unwrap();
        inspect(&p)
    }

    #[test]
    fn reads_architecture_after_other_keys() {
        assert_eq!(inspect_bytes(&gguf_with(Some("llama"))).unwrap(), "llama");
    }

    #[test]
    fn rejects_unsupported_and_missing_architectures() {
        let err = inspect_bytes(&gguf_with(Some("gemma"))).unwrap_err();
        assert!(
            matches!(&err, ModelError::UnsupportedArchitecture { arch, .. } if arch == "gemma"),
            "{err}"
        );
        assert!(err.to_string().contains("fix:"), "{err}");
        let err = inspect_bytes(&gguf_with(None)).unwrap_err();
        assert!(err.to_string().contains("no general.architecture"), "{err}");
    }

    #[test]
    fn missing_file_says_how_to_get_one() {
        let dir = tempfile::tempdir().unwrap();
        let missing = inspect(&dir.path().join("nope.gguf")).unwrap_err();
        assert!(matches!(missing, ModelError::Missing { .. }));
        assert!(missing.to_string().contains("cai model pull"));
    }

    #[test]
    fn directory_empty_text_and_truncated_files_are_not_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let err = inspect(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("is a directory, not a model file"),
            "directory: {err}"
        );
        assert!(err.to_string().contains("fix:"), "{err}");
        let err = inspect_bytes(b"").unwrap_err();
        assert!(err.to_string().contains("is empty (0 bytes)"), "{err}");
        let err = inspect_bytes(b"not a model at all").unwrap_err();
        assert!(matches!(err, ModelError::NotGguf { .. }), "text: {err}");
        let full = gguf_with(Some("llama"));
        for (what, bytes) in [
            ("truncated", &full[..30]),
            ("cut before the architecture", &full[..full.len() - 3]),
        ] {
            let err = inspect_bytes(bytes).unwrap_err().to_string();
            assert!(
                err.contains("the file is truncated or damaged"),
                "{what}: {err}"
            );
        }
    }
}
