//! Re-quantizing a GGUF model into another block format, once, so it runs faster on this CPU.
//!
//! candle 0.10 (which mistral.rs runs on) has SIMD dot products for Q8_0, Q4_0 and the K-quants
//! but only a scalar one for Q4_1, the format the default model ships in. Converting the weights
//! to Q8_0 keeps them practically unchanged (8 bits per weight again hold every 4-bit level
//! almost exactly) and lets the fast kernels run. Metadata (tokenizer, chat template,
//! hyper-parameters) is copied as it is; only `general.file_type` is updated. Tensors that are
//! not block-quantized (norms, kept in F32) and tensors whose rows do not fit the target block
//! size stay as they are. The output is written to a temp file beside `dst` and renamed into
//! place, so a crash never leaves a half-written model.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;

use super::ModelError;

/// Progress of a conversion: tensors done of total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequantizeProgress {
    pub done: usize,
    pub total: usize,
}

/// What a conversion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequantizeSummary {
    /// Tensors converted to the target format.
    pub converted: usize,
    /// Tensors copied unchanged (not quantized, already in the format, or rows not divisible by
    /// the target block size).
    pub kept: usize,
    /// Size of the written file in bytes.
    pub bytes: u64,
}

/// Converts the GGUF at `src` into `to` and writes it atomically to `dst` (whose directory must
/// exist). `progress` is called after each tensor.
pub fn requantize(
    src: &Path,
    dst: &Path,
    to: GgmlDType,
    progress: &dyn Fn(RequantizeProgress),
) -> Result<RequantizeSummary, ModelError> {
    let fail =
        |what: String| ModelError::Backend(format!("re-quantizing {}: {what}", src.display()));
    let file = std::fs::File::open(src).map_err(|_| ModelError::Missing {
        path: src.display().to_string(),
    })?;
    let mut reader = BufReader::new(file);
    let content = gguf_file::Content::read(&mut reader).map_err(|e| fail(e.to_string()))?;

    // Tensors in file order, so the output is laid out like the input (and reproducible).
    let mut names: Vec<(&String, u64)> = content
        .tensor_infos
        .iter()
        .map(|(name, info)| (name, info.offset))
        .collect();
    names.sort_by_key(|&(name, offset)| (offset, name.clone()));
    let total = names.len();
    let device = Device::Cpu;
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(total);
    let (mut converted, mut kept) = (0, 0);
    for (done, (name, _)) in names.into_iter().enumerate() {
        let tensor = content
            .tensor(&mut reader, name, &device)
            .map_err(|e| fail(format!("tensor {name}: {e}")))?;
        let tensor = if should_convert(&tensor, to) {
            converted += 1;
            let weights = tensor
                .dequantize(&device)
                .map_err(|e| fail(format!("tensor {name}: {e}")))?;
            QTensor::quantize(&weights, to).map_err(|e| fail(format!("tensor {name}: {e}")))?
        } else {
            kept += 1;
            tensor
        };
        tensors.push((name.clone(), tensor));
        progress(RequantizeProgress {
            done: done + 1,
            total,
        });
    }

    // candle writes with 32-byte alignment, so a different declared alignment must go; keys are
    // sorted so the same input always gives the same bytes.
    let mut metadata: BTreeMap<&str, Value> = content
        .metadata
        .iter()
        .filter(|(k, _)| k.as_str() != "general.alignment")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(file_type) = llama_file_type(to) {
        metadata.insert("general.file_type", Value::U32(file_type));
    }
    let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();

    let dir = dst.parent().unwrap_or(Path::new("."));
    let tmp = crate::fsutil::temp_file_in(dir).map_err(|e| fail(e.to_string()))?;
    let mut out = BufWriter::new(tmp);
    gguf_file::write(&mut out, &metadata, &tensor_refs).map_err(|e| fail(e.to_string()))?;
    out.flush().map_err(|e| fail(e.to_string()))?;
    let tmp = out.into_inner().map_err(|e| fail(e.to_string()))?;
    tmp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    let bytes = tmp
        .as_file()
        .metadata()
        .map_err(|e| fail(e.to_string()))?
        .len();
    tmp.persist(dst).map_err(|e| fail(e.error.to_string()))?;
    crate::fsutil::sync_dir(dir).map_err(|e| fail(e.to_string()))?;
    Ok(RequantizeSummary {
        converted,
        kept,
        bytes,
    })
}

/// A tensor is converted when it is block-quantized in another format and its rows split into
/// whole blocks of the target format (the dot product runs along the last dimension).
fn should_convert(tensor: &QTensor, to: GgmlDType) -> bool {
    let from = tensor.dtype();
    let row = tensor.shape().dims().last().copied().unwrap_or(0);
    from != to && from.block_size() > 1 && row > 0 && row.is_multiple_of(to.block_size())
}

/// The `general.file_type` code llama.cpp uses for a model mostly in `dtype`.
fn llama_file_type(dtype: GgmlDType) -> Option<u32> {
    Some(match dtype {
        GgmlDType::Q4_0 => 2,
        GgmlDType::Q4_1 => 3,
        GgmlDType::Q8_0 => 7,
        GgmlDType::Q5_0 => 8,
        GgmlDType::Q5_1 => 9,
        GgmlDType::Q4K => 15,
        GgmlDType::Q5K => 17,
        GgmlDType::Q6K => 18,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    /// A small GGUF with a Q4_1 matrix, an F32 norm and some metadata.
    fn tiny_gguf(path: &Path) {
        let device = Device::Cpu;
        let values: Vec<f32> = (0..4 * 64)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let matrix = Tensor::from_vec(values, (4, 64), &device).unwrap();
        let matrix = QTensor::quantize(&matrix, GgmlDType::Q4_1).unwrap();
        let norm = Tensor::from_vec(vec![1.0f32; 64], 64, &device).unwrap();
        let norm = QTensor::quantize(&norm, GgmlDType::F32).unwrap();
        let arch = Value::String("llama".into());
        let tokens = Value::Array(vec![Value::String("a".into()), Value::String("b".into())]);
        let mut f = std::fs::File::create(path).unwrap();
        gguf_file::write(
            &mut f,
            &[
                ("general.architecture", &arch),
                ("tokenizer.ggml.tokens", &tokens),
            ],
            &[
                ("blk.0.ffn_up.weight", &matrix),
                ("blk.0.attn_norm.weight", &norm),
            ],
        )
        .unwrap();
    }

    fn read(path: &Path) -> (gguf_file::Content, std::fs::File) {
        let mut f = std::fs::File::open(path).unwrap();
        (gguf_file::Content::read(&mut f).unwrap(), f)
    }

    #[test]
    fn converts_matrices_keeps_norms_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst) = (dir.path().join("in.gguf"), dir.path().join("out.gguf"));
        tiny_gguf(&src);
        let seen = std::cell::Cell::new(0);
        let summary = requantize(&src, &dst, GgmlDType::Q8_0, &|p| seen.set(p.done)).unwrap();
        assert_eq!((summary.converted, summary.kept), (1, 1));
        assert_eq!(seen.get(), 2);
        assert_eq!(summary.bytes, std::fs::metadata(&dst).unwrap().len());

        let (before, mut fb) = read(&src);
        let (after, mut fa) = read(&dst);
        assert_eq!(
            after.metadata["tokenizer.ggml.tokens"]
                .to_vec()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(after.metadata["general.file_type"].to_u32().unwrap(), 7);
        assert_eq!(
            after.tensor_infos["blk.0.ffn_up.weight"].ggml_dtype,
            GgmlDType::Q8_0
        );
        assert_eq!(
            after.tensor_infos["blk.0.attn_norm.weight"].ggml_dtype,
            GgmlDType::F32
        );
        // The weights survive: Q8_0 holds the Q4_1 levels to within a small fraction of a step.
        let name = "blk.0.ffn_up.weight";
        let values = |content: &gguf_file::Content, file: &mut std::fs::File| -> Vec<f32> {
            let tensor = content.tensor(file, name, &Device::Cpu).unwrap();
            let dequantized = tensor.dequantize(&Device::Cpu).unwrap();
            dequantized.flatten_all().unwrap().to_vec1().unwrap()
        };
        let (a, b) = (values(&before, &mut fb), values(&after, &mut fa));
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.02, "largest change {worst}");
        // Same input, same bytes.
        let again = dir.path().join("again.gguf");
        requantize(&src, &again, GgmlDType::Q8_0, &|_| {}).unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), std::fs::read(&again).unwrap());
    }

    #[test]
    fn a_non_gguf_is_refused_without_leaving_files() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.gguf");
        std::fs::write(&src, b"not a model").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let err = requantize(&src, &out.join("m.gguf"), GgmlDType::Q8_0, &|_| {}).unwrap_err();
        assert!(err.to_string().contains("re-quantizing"), "{err}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn rows_that_do_not_fit_the_block_are_kept() {
        let t = Tensor::zeros((2, 576), candle_core::DType::F32, &Device::Cpu).unwrap();
        let t = QTensor::quantize(&t, GgmlDType::Q4_1).unwrap();
        assert!(should_convert(&t, GgmlDType::Q8_0));
        assert!(!should_convert(&t, GgmlDType::Q4K));
        assert!(!should_convert(&t, GgmlDType::Q4_1));
    }
}
