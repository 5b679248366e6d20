//! What every pipeline stage shares: running one generation with its events, how a stage stops
//! early, and the per-record random number generator.
//!
//! Stages write into the [`Record`] as they go, so whatever was produced before a cancellation
//! or a failure is still there when the runner stores the record.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_util::sync::CancellationToken;

use super::events::{PipelineEvent, Stage};
use crate::data::FinishReason;
use crate::data::{Prompt, Record, RecordStatus, Response};
use crate::model::{Backend, ChatMessage, Generation, ModelError, Sampling};
use crate::quality::refusal::is_evasive;
use crate::quality::repetition::{is_looping, trim_loop};

/// Why a stage ended before finishing its work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageStop {
    /// The user cancelled; partial results are already in the record.
    #[error("cancelled")]
    Cancelled,
    /// Something failed; the text says what.
    #[error("{0}")]
    Failed(String),
}

impl From<ModelError> for StageStop {
    fn from(e: ModelError) -> Self {
        StageStop::Failed(e.to_string())
    }
}

/// Where one prompt's stages report to, and the token that stops them.
#[derive(Debug, Clone)]
pub struct StageContext<'a> {
    pub prompt_id: &'a str,
    pub events: &'a UnboundedSender<PipelineEvent>,
    pub cancel: CancellationToken,
}

impl StageContext<'_> {
    /// Sends an event; a front end that stopped listening is not an error.
    pub fn emit(&self, event: PipelineEvent) {
        let _ = self.events.send(event);
    }

    /// Fails with [`StageStop::Cancelled`] if the prompt was cancelled.
    pub fn check_cancelled(&self) -> Result<(), StageStop> {
        if self.cancel.is_cancelled() {
            Err(StageStop::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Runs one chat completion as `stage`: sends StageStarted, forwards streamed pieces as
    /// Token events while the model works, then sends StageFinished with the whole text.
    /// A cancelled generation is returned normally (finish `Cancelled`) so callers keep it.
    /// With `sampling.stop_on_loop`, a generation whose text starts to loop is stopped and
    /// returned with finish `Loop` and the repeats trimmed.
    pub async fn generate(
        &self,
        backend: &dyn Backend,
        messages: &[ChatMessage],
        sampling: Sampling,
        stage: Stage,
    ) -> Result<Generation, StageStop> {
        let prompt_id = self.prompt_id.to_string();
        self.emit(PipelineEvent::StageStarted {
            prompt_id: prompt_id.clone(),
            stage,
        });
        let (tx, mut rx) = unbounded_channel::<String>();
        let forward = |text: String| {
            self.emit(PipelineEvent::Token {
                prompt_id: prompt_id.clone(),
                stage,
                text,
            })
        };
        let sampling = Sampling {
            seed: sampling
                .seed
                .map(|seed| request_seed(seed, self.prompt_id, stage)),
            ..sampling
        };
        let stop = self.cancel.child_token();
        let mut watch = LoopWatch::new(sampling.stop_on_loop);
        let chat = backend.chat(messages, sampling, Some(tx), stop.clone());
        tokio::pin!(chat);
        // Forward pieces while the model works; the sender may outlive the call (a backend may
        // hand it to a worker), so stop on the call's result, not on the channel closing.
        let result = loop {
            tokio::select! {
                biased;
                Some(piece) = rx.recv() => {
                    if watch.push(&piece) {
                        stop.cancel();
                    }
                    forward(piece);
                }
                result = &mut chat => break result,
            }
        };
        while let Ok(piece) = rx.try_recv() {
            forward(piece);
        }
        let mut generation = result?;
        if watch.looped
            && generation.finish == FinishReason::Cancelled
            && !self.cancel.is_cancelled()
        {
            generation.finish = FinishReason::Loop;
            generation.text = trim_loop(&generation.text);
        }
        self.emit(PipelineEvent::StageFinished {
            prompt_id: prompt_id.clone(),
            stage,
            text: generation.text.clone(),
        });
        Ok(generation)
    }
}

/// Watches a streaming text for a loop (when asked to).
struct LoopWatch {
    enabled: bool,
    text: String,
    looped: bool,
}

impl LoopWatch {
    fn new(enabled: bool) -> Self {
        LoopWatch {
            enabled,
            text: String::new(),
            looped: false,
        }
    }

    /// Adds a piece; true the first time the text is seen looping.
    fn push(&mut self, piece: &str) -> bool {
        if !self.enabled || self.looped {
            return false;
        }
        self.text.push_str(piece);
        self.looped = is_looping(&self.text);
        self.looped
    }
}

/// A record for `prompt` with nothing produced yet (status `Done` until something says otherwise).
pub fn blank_record(prompt: Prompt, started_at: String) -> Record {
    Record {
        prompt,
        initial: None,
        rounds: Vec::new(),
        comparison: None,
        status: RecordStatus::Done,
        finished_at: started_at.clone(),
        started_at,
        generated_tokens: 0,
        seconds: 0.0,
        flags: None,
        served_by: Vec::new(),
    }
}

/// A recorded response for a generation, with `text` (possibly cleaned) and the evasive flag.
pub fn response_from(generation: &Generation, text: String) -> Response {
    Response {
        evasive: is_evasive(&text),
        text,
        tokens: generation.completion_tokens,
        finish: generation.finish,
    }
}

/// The seed of one request: a prompt's stage gets the same seed whatever the run order, and
/// two stages (e.g. the two samples of a two-samples comparison) get different ones.
pub fn request_seed(seed: u64, prompt_id: &str, stage: Stage) -> u64 {
    let digest = crate::fsutil::sha256_hex(format!("{seed}:{prompt_id}:{stage:?}").as_bytes());
    u64::from_str_radix(&digest[..16], 16).unwrap_or(seed)
}

/// Notes the endpoint that served a request of this record, once.
pub fn note_server(record: &mut Record, served_by: Option<&str>) {
    if let Some(url) = served_by {
        if !record.served_by.iter().any(|u| u == url) {
            record.served_by.push(url.to_string());
        }
    }
}

/// Adds a generation's tokens to the record and stops if it was cancelled.
pub fn account(record: &mut Record, generation: &Generation) -> Result<(), StageStop> {
    note_server(record, generation.served_by.as_deref());
    record.generated_tokens = record
        .generated_tokens
        .saturating_add(generation.completion_tokens);
    if generation.finish == FinishReason::Cancelled {
        Err(StageStop::Cancelled)
    } else {
        Ok(())
    }
}

/// Independent random streams of one record, so that e.g. the number of critique rounds does not
/// change which comparison principles are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RngStream {
    /// Principle draws of the critique/revision rounds.
    Rounds = 0,
    /// Candidate order and comparison principle draws of the feedback stage.
    Feedback = 1,
}

/// The RNG of one record: ChaCha8 seeded from sha256 of the settings seed and the prompt id, on
/// its own stream per [`RngStream`]. A prompt's draws therefore depend only on the seed and the
/// prompt, never on run order or concurrency.
pub fn record_rng(seed: u64, prompt_id: &str, stream: RngStream) -> ChaCha8Rng {
    let digest = crate::fsutil::sha256_hex(format!("{seed}:{prompt_id}").as_bytes());
    let mut bytes = [0u8; 32];
    if let Ok(decoded) = hex::decode(digest) {
        let n = decoded.len().min(32);
        bytes[..n].copy_from_slice(&decoded[..n]);
    }
    let mut rng = ChaCha8Rng::from_seed(bytes);
    rng.set_stream(stream as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn request_seeds_differ_by_stage_and_prompt_and_repeat() {
        let a = request_seed(42, "p", Stage::Sample(1));
        assert_eq!(a, request_seed(42, "p", Stage::Sample(1)));
        assert_ne!(a, request_seed(42, "p", Stage::Sample(2)));
        assert_ne!(a, request_seed(42, "q", Stage::Sample(1)));
        assert_ne!(a, request_seed(43, "p", Stage::Sample(1)));
    }

    #[test]
    fn record_rng_depends_on_seed_prompt_and_stream() {
        let draw = |seed, id: &str, stream| {
            let mut rng = record_rng(seed, id, stream);
            (0..8)
                .map(|_| rng.gen_range(0..1000u32))
                .collect::<Vec<_>>()
        };
        let base = draw(1, "p", RngStream::Rounds);
        assert_eq!(draw(1, "p", RngStream::Rounds), base);
        assert_ne!(draw(2, "p", RngStream::Rounds), base, "seed");
        assert_ne!(draw(1, "q", RngStream::Rounds), base, "prompt");
        assert_ne!(draw(1, "p", RngStream::Feedback), base, "stream");
    }
}
