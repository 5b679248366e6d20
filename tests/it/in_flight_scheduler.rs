//! mistral.rs's default scheduler with prompts in flight, without a model: which sequences run
//! as prompts and which as decoding steps (`mistralrs_core::SchedulerProbe`, patches/mistralrs-core
//! 0017, drives the real scheduler and the real `Sequence`s and does to each scheduled sequence
//! what a forward pass does).
//!
//! Without ragged decoding the scheduler decodes only sequences of one length together, so
//! while a shorter bucket runs it parks the others on its waiting list. When nothing was
//! running it used to turn everything waiting into prompts, parked decoding sequences too:
//! their whole conversation was run again on top of the KV cache they had (patches/mistralrs-core
//! 0018). With ragged decoding (0021, on for the default model) every decoding sequence runs at
//! each step whatever its length, beside one bucket of prompts.

use mistralrs_core::{ProbeStep, SchedulerProbe};

/// A long request decodes alone, a short one arrives and runs first (the shortest bucket goes
/// first), then ends before it reaches the long one's length: the long one, parked meanwhile,
/// runs alone again. Returns its id and the step that runs it alone.
fn park_then_run_alone(
    probe: &mut SchedulerProbe,
    add_long: impl FnOnce(&mut SchedulerProbe) -> usize,
) -> (usize, ProbeStep) {
    let long = add_long(probe);
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![long],
            completion: vec![]
        }
    );
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![],
            completion: vec![long]
        }
    );
    let short = probe.add_request(5);
    // The short prompt runs; the long sequence is parked.
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![short],
            completion: vec![]
        }
    );
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![],
            completion: vec![short]
        }
    );
    probe.finish(short);
    (long, probe.step())
}

#[test]
fn a_decoding_sequence_parked_and_then_run_alone_stays_a_completion() {
    let mut probe = SchedulerProbe::new(4);
    let (long, alone) = park_then_run_alone(&mut probe, |p| p.add_request(20));
    assert_eq!(
        alone,
        ProbeStep {
            prompt: vec![],
            completion: vec![long]
        },
        "the parked sequence must decode its next token, not run its conversation again"
    );
    // 20 prompt tokens, one token per step it ran (prompt, decode, decode).
    assert_eq!(probe.tokens(long), Some(23));
}

#[test]
fn a_parked_sequence_from_a_prefix_cache_hit_stays_a_completion() {
    // The case that grew KV caches without bound: a prompt that started at a prefix-cache
    // offset, run again as a prompt, appended its whole token list on top of the cache it had.
    let mut probe = SchedulerProbe::new(4);
    let (long, alone) = park_then_run_alone(&mut probe, |p| p.add_request_after_prefix_hit(20, 12));
    assert_eq!(
        alone,
        ProbeStep {
            prompt: vec![],
            completion: vec![long]
        }
    );
}

/// A small deterministic generator (64-bit LCG), for the workload below.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the test knows of a sequence.
struct Seen {
    /// Tokens it ends its answer after.
    answer: usize,
    /// Times it ran as a prompt.
    prompts: usize,
    /// Its tokens (prompt and answer so far).
    tokens: usize,
    generated: usize,
}

/// Requests of mixed lengths arriving now and then, some after a prefix-cache hit, on a probe:
/// each runs as a prompt once and then only decodes, with its own length; without ragged
/// decoding a step decodes sequences of one length, with it every decoding sequence at once.
fn workload(ragged: bool) {
    for seed in 1..=20u64 {
        let mut rng = Lcg(seed);
        let mut probe = if ragged {
            SchedulerProbe::with_ragged_decoding(4)
        } else {
            SchedulerProbe::new(4)
        };
        let mut live: std::collections::BTreeMap<usize, Seen> = Default::default();
        let mut started = 0;
        for step in 0..2000 {
            if started < 24 && rng.below(4) == 0 {
                let tokens = 3 + rng.below(40) as usize;
                let id = if rng.below(3) == 0 {
                    let cached = 1 + rng.below(tokens as u64 - 1) as usize;
                    probe.add_request_after_prefix_hit(tokens, cached)
                } else {
                    probe.add_request(tokens)
                };
                let answer = 1 + rng.below(30) as usize;
                live.insert(
                    id,
                    Seen {
                        answer,
                        prompts: 0,
                        tokens,
                        generated: 0,
                    },
                );
                started += 1;
            }
            // The sequences decoding before this step (all ran their prompt).
            let decoding: Vec<usize> = live
                .iter()
                .filter(|(_, seen)| seen.prompts == 1)
                .map(|(&id, _)| id)
                .collect();
            let ran = probe.step();
            let mut lengths = Vec::new();
            for &id in &ran.completion {
                let seen = live.get_mut(&id).expect("a live sequence");
                assert_eq!(
                    seen.prompts, 1,
                    "seed {seed} step {step}: sequence {id} decoded before its prompt ran"
                );
                lengths.push(seen.tokens);
            }
            if ragged {
                // At most 4 run at once: every decoding sequence among them decodes.
                let mut completion = ran.completion.clone();
                completion.sort_unstable();
                assert_eq!(
                    completion, decoding,
                    "seed {seed} step {step}: decoding sequences left out of the step"
                );
            } else {
                lengths.dedup();
                assert!(
                    lengths.len() <= 1,
                    "seed {seed} step {step}: one decoding step over lengths {lengths:?}"
                );
            }
            for &id in &ran.prompt {
                let seen = live.get_mut(&id).expect("a live sequence");
                seen.prompts += 1;
                assert_eq!(
                    seen.prompts, 1,
                    "seed {seed} step {step}: sequence {id} ran as a prompt again"
                );
            }
            for id in ran.completion.iter().chain(&ran.prompt) {
                let seen = live.get_mut(id).expect("a live sequence");
                seen.tokens += 1;
                seen.generated += 1;
            }
            // (A prompt not run yet after a prefix-cache hit counts only its tokens past the
            // cached offset.)
            for (&id, seen) in live.iter().filter(|(_, seen)| seen.prompts == 1) {
                assert_eq!(
                    probe.tokens(id),
                    Some(seen.tokens),
                    "seed {seed} step {step}: sequence {id}"
                );
            }
            // Answers that are long enough end (only running sequences end, as in the engine).
            let done: Vec<usize> = ran
                .completion
                .iter()
                .chain(&ran.prompt)
                .copied()
                .filter(|id| live[id].generated >= live[id].answer)
                .collect();
            for id in done {
                probe.finish(id);
                live.remove(&id);
            }
            if started == 24 && live.is_empty() {
                break;
            }
        }
        assert_eq!(started, 24, "seed {seed}");
        assert!(
            live.is_empty(),
            "seed {seed}: {} sequences never finished",
            live.len()
        );
    }
}

#[test]
fn over_many_requests_in_flight_each_runs_as_a_prompt_once_and_decodes_with_its_length() {
    workload(false);
}

#[test]
fn with_ragged_decoding_every_decoding_sequence_runs_at_each_step_and_prompts_once() {
    workload(true);
}

#[test]
fn with_ragged_decoding_sequences_of_different_lengths_decode_in_one_step() {
    let mut probe = SchedulerProbe::with_ragged_decoding(4);
    let long = probe.add_request(20);
    let short = probe.add_request(5);
    // Two prompts of different lengths: one bucket of prompts at a time, the shortest first.
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![short],
            completion: vec![]
        }
    );
    // The short one decodes while the long one's prompt runs.
    assert_eq!(
        probe.step(),
        ProbeStep {
            prompt: vec![long],
            completion: vec![short]
        }
    );
    // From then on both decode in one step, 21 and 7 tokens long (22 and 8 after it).
    let mut both = probe.step();
    both.completion.sort_unstable();
    assert_eq!(
        both,
        ProbeStep {
            prompt: vec![],
            completion: vec![long, short]
        }
    );
    assert_eq!(
        (probe.tokens(long), probe.tokens(short)),
        (Some(22), Some(8))
    );
}
