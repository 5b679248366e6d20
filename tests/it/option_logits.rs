//! The comparison's option logits read in one generation step (a logits processor sees the
//! last position only) must equal those of a raw-logits request (every prompt position through
//! the output layer), with the real default model.

use cai_workbench::model::derived::{self, DefaultFormat};
use cai_workbench::model::fetch;
use cai_workbench::model::mistralrs_backend::MistralRsBackend;
use cai_workbench::model::ChatMessage;

#[test]
fn option_logits_from_one_step_equal_the_raw_logits() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let original = fetch::ensure_original_model(&|_| {}).expect("original model");
    let path = match derived::DEFAULT_FORMAT {
        DefaultFormat::Converted(dtype) => {
            derived::ensure_converted(&original, dtype, &|_| {}).expect("converted copy")
        }
        DefaultFormat::Original => original,
    };
    runtime.block_on(async {
        let model = MistralRsBackend::load(&path, None).await.expect("load");
        let prefix = "The answer is: (";
        for question in [
            "Which number is larger?\nOptions:\n(A) 1000\n(B) 3\nAnswer with A or B.",
            "Which reply is kinder?\nOptions:\n(A) Go away.\n(B) Happy to help.\nAnswer with A or B.",
        ] {
            let messages = [ChatMessage::user(question)];
            let fast = model
                .option_logits(&messages, prefix, &["A", "B"])
                .await
                .expect("one step");
            // Each raw-logits request on an engine of its own: on the patched engine a request
            // after a raw-logits request fails its decoding step (`kv-cache: sequence N holds 65
            // positions where its decoding tokens need 0`, mistralrs-core 0019's check, which
            // then panics the engine answering a receiver already gone); the workbench sends
            // none (patches/README.md).
            let raw_engine = MistralRsBackend::load(&path, None).await.expect("load");
            let raw = raw_engine
                .option_logits_from_raw_logits(&messages, prefix, &["A", "B"])
                .await
                .expect("raw logits");
            eprintln!("{question:?}: one step {fast:?}, raw {raw:?}");
            assert_eq!(fast.len(), 2);
            assert_ne!(fast[0], fast[1]);
            for (f, r) in fast.iter().zip(&raw) {
                assert!((f - r).abs() < 1e-3, "{fast:?} vs {raw:?}");
            }
        }
    });
}
