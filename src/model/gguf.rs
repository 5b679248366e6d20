//! A minimal GGUF header reader: enough to tell a GGUF file from anything else and to read its
//! `general.architecture` before handing the file to mistral.rs, so bad files get a clear error
//! instead of a failure deep inside the loader.

use std::io::{BufReader, Read};
use std::path::Path;

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
    let mut r = BufReader::new(file);
    let not_gguf = || ModelError::NotGguf {
        path: shown.clone(),
    };
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic).map_err(|_| not_gguf())?;
    if &magic != b"GGUF" {
        return Err(not_gguf());
    }
    let version = read_u32(&mut r).map_err(|_| not_gguf())?;
    if !(2..=3).contains(&version) {
        return Err(ModelError::Backend(format!(
            "{shown}: GGUF version {version} is not supported (2 or 3 expected)"
        )));
    }
    let _tensors = read_u64(&mut r).map_err(|_| not_gguf())?;
    let kv_count = read_u64(&mut r).map_err(|_| not_gguf())?;
    for _ in 0..kv_count.min(100_000) {
        let key = read_string(&mut r).map_err(|_| not_gguf())?;
        let ty = read_u32(&mut r).map_err(|_| not_gguf())?;
        if key == "general.architecture" && ty == TYPE_STRING {
            let arch = read_string(&mut r).map_err(|_| not_gguf())?;
            if !SUPPORTED_ARCHITECTURES.contains(&arch.as_str()) {
                return Err(ModelError::UnsupportedArchitecture { path: shown, arch });
            }
            return Ok(arch);
        }
        skip_value(&mut r, ty).map_err(|_| not_gguf())?;
    }
    Err(ModelError::Backend(format!(
        "{shown}: GGUF metadata has no general.architecture; the file is incomplete or not a model"
    )))
}

const TYPE_STRING: u32 = 8;
const TYPE_ARRAY: u32 = 9;

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_string(r: &mut impl Read) -> std::io::Result<String> {
    let len = read_u64(r)?;
    if len > 1 << 20 {
        return Err(std::io::Error::other("string too long"));
    }
    let mut b = vec![0u8; len as usize];
    r.read_exact(&mut b)?;
    Ok(String::from_utf8_lossy(&b).into_owned())
}

/// Byte size of a fixed-size scalar type, or None for string/array.
fn scalar_size(ty: u32) -> Option<u64> {
    match ty {
        0 | 1 | 7 => Some(1), // u8, i8, bool
        2 | 3 => Some(2),     // u16, i16
        4..=6 => Some(4),     // u32, i32, f32
        10..=12 => Some(8),   // u64, i64, f64
        _ => None,
    }
}

fn skip(r: &mut impl Read, n: u64) -> std::io::Result<()> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink())?;
    if copied == n {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

fn skip_value(r: &mut impl Read, ty: u32) -> std::io::Result<()> {
    if let Some(n) = scalar_size(ty) {
        return skip(r, n);
    }
    match ty {
        TYPE_STRING => {
            let len = read_u64(r)?;
            skip(r, len)
        }
        TYPE_ARRAY => {
            let elem = read_u32(r)?;
            let count = read_u64(r)?;
            match scalar_size(elem) {
                Some(n) => skip(r, n.saturating_mul(count)),
                None => (0..count).try_for_each(|_| skip_value(r, elem)),
            }
        }
        _ => Err(std::io::Error::other("unknown GGUF value type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gguf_with(arch: &str) -> Vec<u8> {
        let mut v = b"GGUF".to_vec();
        v.extend(3u32.to_le_bytes());
        v.extend(0u64.to_le_bytes()); // tensors
        v.extend(3u64.to_le_bytes()); // kv pairs
        let string = |v: &mut Vec<u8>, s: &str| {
            v.extend((s.len() as u64).to_le_bytes());
            v.extend(s.as_bytes());
        };
        string(&mut v, "general.alignment");
        v.extend(4u32.to_le_bytes());
        v.extend(32u32.to_le_bytes());
        string(&mut v, "tokenizer.tokens");
        v.extend(TYPE_ARRAY.to_le_bytes());
        v.extend(TYPE_STRING.to_le_bytes());
        v.extend(2u64.to_le_bytes());
        string(&mut v, "a");
        string(&mut v, "bc");
        string(&mut v, "general.architecture");
        v.extend(TYPE_STRING.to_le_bytes());
        string(&mut v, arch);
        v
    }

    #[test]
    fn reads_architecture_after_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        std::fs::write(&p, gguf_with("llama")).unwrap();
        assert_eq!(inspect(&p).unwrap(), "llama");
    }

    #[test]
    fn rejects_unsupported_missing_and_non_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        std::fs::write(&p, gguf_with("gemma")).unwrap();
        assert!(matches!(
            inspect(&p),
            Err(ModelError::UnsupportedArchitecture { .. })
        ));
        std::fs::write(&p, b"not a model at all").unwrap();
        let err = inspect(&p).unwrap_err();
        assert!(matches!(err, ModelError::NotGguf { .. }));
        assert!(err.to_string().contains("fix:"));
        let missing = inspect(&dir.path().join("nope.gguf")).unwrap_err();
        assert!(matches!(missing, ModelError::Missing { .. }));
        assert!(missing.to_string().contains("cai model pull"));
    }

    #[test]
    fn truncated_file_is_not_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        let full = gguf_with("llama");
        std::fs::write(&p, &full[..30]).unwrap();
        assert!(matches!(inspect(&p), Err(ModelError::NotGguf { .. })));
    }
}
