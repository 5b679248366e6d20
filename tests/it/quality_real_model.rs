//! Quality flags and repetition controls on real generations of the default model: a greedy
//! answer that loops is flagged degenerate, the DRY and presence penalties reach mistral.rs and
//! break the loop, and the pipeline's early stop ends the loop and trims it. The model is
//! loaded once for the file.

use cai_workbench::model::{ChatMessage, Penalties, Sampling};

use cai_workbench::data::FinishReason;
use cai_workbench::pipeline::stage::StageContext;
use cai_workbench::pipeline::Stage;
use cai_workbench::quality::repetition::measure;
use tokio_util::sync::CancellationToken;

use crate::support::default_model;
use default_model::{policy, RUNTIME};

/// Greedily, SmolLM2-135M-Instruct answers this by naming the seven days over and over. Which
/// prompts loop depends on the arithmetic: this one loops with the prompt kernels of
/// mistralrs-core 0022-0023 (the default) and without them, where the penalties below leave
/// it a little repetitive still.
const LOOPING_PROMPT: &str = "List the days of the week again and again.";
const TOKENS: u32 = 100;

fn generate(sampling: Sampling) -> cai_workbench::model::Generation {
    let model = policy();
    let messages = [ChatMessage::user(LOOPING_PROMPT)];
    RUNTIME
        .block_on(model.chat(&messages, sampling, None, CancellationToken::new()))
        .expect("generation")
}

fn penalties() -> Penalties {
    Penalties {
        frequency: 0.0,
        presence: 0.3,
        dry_multiplier: 0.8,
        dry_base: 1.75,
        dry_allowed_length: 2,
    }
}

#[test]
fn a_real_greedy_loop_is_flagged_degenerate_and_the_penalties_break_it() {
    let _alone = crate::support::heavy();
    let plain = generate(Sampling::greedy(TOKENS));
    let looping = measure(&plain.text);
    assert!(looping.is_degenerate(), "{looping:?}\n{}", plain.text);
    assert_eq!(plain.finish, FinishReason::Length);

    let penalised = generate(Sampling {
        penalties: penalties(),
        ..Sampling::greedy(TOKENS)
    });
    assert_ne!(
        penalised.text, plain.text,
        "the penalties changed the greedy text"
    );
    let after = measure(&penalised.text);
    assert!(!after.is_degenerate(), "{after:?}\n{}", penalised.text);
    assert!(after.share < looping.share);
}

#[test]
fn the_pipeline_stops_a_real_loop_early_and_trims_it() {
    let _alone = crate::support::heavy();
    let model = policy();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = StageContext {
        prompt_id: "loop",
        events: &tx,
        cancel: CancellationToken::new(),
    };
    let sampling = Sampling {
        stop_on_loop: true,
        ..Sampling::greedy(TOKENS)
    };
    let messages = [ChatMessage::user(LOOPING_PROMPT)];
    let stopped = RUNTIME
        .block_on(ctx.generate(model.as_ref(), &messages, sampling, Stage::Initial))
        .expect("generation");
    assert_eq!(stopped.finish, FinishReason::Loop, "{}", stopped.text);
    assert!(
        stopped.completion_tokens < TOKENS,
        "stopped after {} tokens",
        stopped.completion_tokens
    );
    let plain = generate(Sampling::greedy(TOKENS));
    assert!(
        plain.text.starts_with(stopped.text.trim_end_matches('.')),
        "the trimmed text is the loop's beginning:\n{}\n---\n{}",
        stopped.text,
        plain.text
    );
    assert!(!measure(&stopped.text).is_degenerate(), "{}", stopped.text);
}
