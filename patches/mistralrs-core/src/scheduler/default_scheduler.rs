use std::{
    collections::{HashMap, VecDeque},
    num::NonZeroUsize,
    sync::{atomic::Ordering, Arc},
};

use crate::{
    engine::{IntervalLogger, TERMINATE_ALL_NEXT_STEP},
    paged_attention::KVCacheManager,
    sequence::{Sequence, SequenceState, StopReason},
};

use super::{Scheduler, SchedulerOutput};

pub trait FcfsBacker: Default {
    fn new() -> Self;
    fn add(&mut self, item: Sequence);
    fn into_iter(self) -> impl Iterator<Item = Sequence>;
    fn len(&self) -> usize;
    fn sort_ascending_ids(&mut self);
}

impl FcfsBacker for VecDeque<Sequence> {
    fn new() -> Self {
        Self::new()
    }
    fn add(&mut self, item: Sequence) {
        self.push_back(item)
    }
    fn into_iter(self) -> impl Iterator<Item = Sequence> {
        <Self as IntoIterator>::into_iter(self)
    }
    fn sort_ascending_ids(&mut self) {
        let slice = self.make_contiguous();
        slice.sort_by_key(|seq| *seq.id());
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

pub struct DefaultSchedulerOutput<'a> {
    pub completion: Box<[&'a mut Sequence]>,
    pub prompt: Box<[&'a mut Sequence]>,
}

/// The scheduler method controld how sequences are scheduled during each
/// step of the engine. For each scheduling step, the scheduler method is used if there
/// are not only running, only waiting sequences, or none. If is it used, then it
/// is used to allow waiting sequences to run.
#[derive(Clone)]
pub enum DefaultSchedulerMethod {
    Fixed(NonZeroUsize),
}

pub struct BucketedSeqs<Backer: FcfsBacker> {
    running: Vec<Sequence>,
    waiting: Backer,
}

pub trait BucketingManager<Backer: FcfsBacker>: Send + Sync {
    /// Bucket and waitlist running input sequences, returning the newly running sequences.
    fn bucket_and_waitlist_seqs_waiting(
        &mut self,
        running: Vec<Sequence>,
        waiting: Backer,
        discrete: bool,
    ) -> BucketedSeqs<Backer>;
}

// (cache length, (has_imgs && is_prompt), sequence offset)
// Bucket by that metric for images because if we are not a prompt, then this doesn't apply
type BucketKey = (usize, bool, usize);

/// How many forward passes a bucket of sequences may wait while shorter ones catch up.
const MAX_PASSES_WAITING: usize = 64;

/// The bucket of a sequence. The token offset (where a prompt's prefill starts after a prefix
/// cache hit) must be the same for every prompt in a batch, but a decoding step does not read
/// it (without paged attention, which has its own scheduler), so decoding sequences that
/// started from different cache hits still share a batch.
fn bucket_key(seq: &Sequence) -> BucketKey {
    let token_offset = if seq.is_prompt() {
        seq.token_offset()
    } else {
        0
    };
    (
        seq.len(),
        seq.images().is_some() && seq.is_prompt(),
        token_offset,
    )
}

struct FixedBucketingManager {
    /// Decoding sequences of any lengths run together (`Scheduler::set_ragged_decoding`).
    ragged: bool,
}

impl<Backer: FcfsBacker> BucketingManager<Backer> for FixedBucketingManager {
    /// Move the sequences into buckets, and run the ones with the shortest lengths.
    /// The others are moved to the waiting list (retaining high priority due to start time),
    /// without a state modification.
    ///
    /// With ragged decoding, every decoding sequence runs at each step whatever its length
    /// (apart from those that return raw logits, which a step serves alone), and beside them
    /// the prompts of one bucket: a prompt's tokens are processed together only with prompts
    /// of the same length and offset.
    fn bucket_and_waitlist_seqs_waiting(
        &mut self,
        running: Vec<Sequence>,
        mut waiting: Backer,
        discrete: bool,
    ) -> BucketedSeqs<Backer> {
        if !self.ragged {
            return Self::one_bucket(running, waiting, discrete);
        }
        let (decoding, prompts): (Vec<_>, Vec<_>) =
            running.into_iter().partition(|seq| seq.is_completion());
        let (raw, plain): (Vec<_>, Vec<_>) =
            decoding.into_iter().partition(|seq| seq.return_raw_logits);
        let starving = |seqs: &[Sequence]| {
            seqs.iter()
                .any(|s| s.scheduling_urgency() >= MAX_PASSES_WAITING)
        };
        let (decode, parked) = if raw.is_empty()
            || (plain.len() >= raw.len() && !starving(&raw))
            || starving(&plain)
        {
            (plain, raw)
        } else {
            (raw, plain)
        };
        for seq in parked {
            waiting.add(seq.add_urgency());
        }
        let BucketedSeqs {
            running: prompts,
            waiting,
        } = if prompts.is_empty() {
            BucketedSeqs {
                running: Vec::new(),
                waiting,
            }
        } else {
            Self::one_bucket(prompts, waiting, discrete)
        };
        let mut running: Vec<Sequence> = decode.into_iter().map(|s| s.reset_urgency()).collect();
        running.extend(prompts);
        BucketedSeqs { running, waiting }
    }
}

impl FixedBucketingManager {
    /// The sequences of the shortest bucket (or of a starving one) run, the others wait.
    fn one_bucket<Backer: FcfsBacker>(
        running: Vec<Sequence>,
        mut waiting: Backer,
        discrete: bool,
    ) -> BucketedSeqs<Backer> {
        // Now, get the sequences with the smallest sequence lengths, and allow them to catch up.
        let mut seq_buckets: HashMap<BucketKey, Vec<Sequence>> = HashMap::new();
        let mut seq_priorities: HashMap<BucketKey, f64> = HashMap::new();
        for seq in running {
            let key = bucket_key(&seq);
            match seq_buckets.get_mut(&key) {
                Some(bucket) => {
                    if !discrete {
                        *seq_priorities.get_mut(&key).unwrap() += seq.compute_priority();
                    }
                    bucket.push(seq);
                }
                None => {
                    if !discrete {
                        seq_priorities.insert(key, seq.compute_priority());
                    }
                    seq_buckets.insert(key, vec![seq]);
                }
            }
        }
        let running = if seq_buckets.len() <= 1 {
            // Full steam ahead or have everything
            seq_buckets
                .into_iter()
                .flat_map(|(_, x)| x)
                .map(|s| s.reset_urgency())
                .collect::<Vec<_>>()
        } else {
            // Set the min seqs to be the running ones, and the rest to be waiting (but their states are not changed!)
            // Allow the min seqs to catch up.
            let min = *seq_buckets
                .keys()
                .min_by_key(|(x, _, _)| *x)
                .expect("No sequence buckets.");
            // Each bucket costs a forward pass of its own, and buckets merge only when their
            // lengths meet, so the shortest goes first: a sequence that arrived while others
            // were decoding catches up with them and joins their batch, instead of being
            // scheduled by priority in alternation with them, a fixed distance behind, for the
            // rest of its life. A bucket that has waited `MAX_PASSES_WAITING` passes goes first
            // (by priority), so that shorter work arriving all the time cannot starve it.
            let starving = seq_buckets.values().any(|seqs| {
                seqs.iter()
                    .any(|s| s.scheduling_urgency() >= MAX_PASSES_WAITING)
            });
            let len = if !discrete && starving {
                seq_priorities
                    .iter()
                    .max_by(|(_, a), (_, b)| a.partial_cmp(b).unwrap())
                    .map(|(a, b)| (a, *b))
                    .unwrap_or_else(|| (&min, seq_priorities[&min]))
                    .0
            } else {
                &min
            };
            let highest_priority_seqs = seq_buckets
                .remove(len)
                .unwrap()
                .into_iter()
                .map(|s| s.reset_urgency())
                .collect();
            for (_, seqs) in seq_buckets {
                for seq in seqs {
                    waiting.add(seq.add_urgency());
                }
            }
            // Know min_seqs.len < running.len() <= max
            highest_priority_seqs
        };
        BucketedSeqs { running, waiting }
    }
}

pub struct DefaultScheduler<Backer: FcfsBacker> {
    waiting: Backer,
    running: Vec<Sequence>,
    method: DefaultSchedulerMethod,
    bucketing_manager: Box<dyn BucketingManager<Backer>>,
}

impl<Backer: FcfsBacker> DefaultScheduler<Backer> {
    pub fn new(method: DefaultSchedulerMethod) -> Self {
        let bucketing_manager: Box<dyn BucketingManager<_>> = match method {
            DefaultSchedulerMethod::Fixed(_) => Box::new(FixedBucketingManager { ragged: false }),
        };
        Self {
            running: Vec::new(),
            waiting: Backer::new(),
            method,
            bucketing_manager,
        }
    }

    /// Move the sequences into buckets, and run the ones with the shortest lengths.
    /// The others are moved to the waiting list (retaining high priority due to start time),
    /// without a state modification.
    fn bucket_and_waitlist_seqs(&mut self, running: Vec<Sequence>) -> Vec<Sequence> {
        let waiting = std::mem::take(&mut self.waiting);
        let BucketedSeqs { running, waiting } = self
            .bucketing_manager
            .bucket_and_waitlist_seqs_waiting(running, waiting, true);
        self.waiting = waiting;
        running
    }

    /// Schedule all sequences based on their state and the available space.
    pub fn schedule(&mut self, logger: &IntervalLogger) -> DefaultSchedulerOutput<'_> {
        // Filter out all done sequences
        let running = std::mem::take(&mut self.running);
        let mut waiting = std::mem::take(&mut self.waiting);
        let mut running = running
            .into_iter()
            .filter(|seq| seq.is_running())
            .collect::<Vec<_>>();

        match (waiting.len(), running.len()) {
            (0, 0) => {
                self.running = running;
                logger.set_num_running(self.running.len());
                logger.set_num_waiting(self.waiting.len());
                return DefaultSchedulerOutput {
                    prompt: vec![].into(),
                    completion: vec![].into(),
                };
            }
            (_, 0) => {
                // The waiting list holds new requests, and also decoding sequences the
                // bucketing parked while a shorter bucket ran. Only the new ones become
                // prompts: a parked sequence's KV cache already holds its tokens, and running
                // them again as a prompt appended them to it once more (from a prefix-cache
                // hit, where the cache is kept) or prefilled the whole conversation again.
                for seq in waiting.into_iter() {
                    if !seq.is_completion() {
                        seq.set_state(SequenceState::RunningPrompt);
                    }
                    self.running.push(seq);
                }
                self.waiting = Backer::new();
                let running = std::mem::take(&mut self.running);
                self.running = self.bucket_and_waitlist_seqs(running);
                logger.set_num_running(self.running.len());
                logger.set_num_waiting(self.waiting.len());
                let (completion, prompt): (Vec<_>, Vec<_>) =
                    self.running.iter_mut().partition(|seq| seq.is_completion());
                return DefaultSchedulerOutput {
                    prompt: prompt.into(),
                    completion: completion.into(),
                };
            }
            (0, _) => {
                self.running = self.bucket_and_waitlist_seqs(running);
                if TERMINATE_ALL_NEXT_STEP.load(Ordering::SeqCst) {
                    self.running
                        .iter_mut()
                        .for_each(|seq| seq.set_state(SequenceState::Done(StopReason::Canceled)));
                    TERMINATE_ALL_NEXT_STEP.store(false, Ordering::SeqCst);
                }
                logger.set_num_running(self.running.len());
                logger.set_num_waiting(self.waiting.len());
                return DefaultSchedulerOutput {
                    prompt: vec![].into(),
                    completion: self.running.iter_mut().collect::<Vec<_>>().into(),
                };
            }
            _ => {}
        }

        // Sort the waiting seqs
        waiting.sort_ascending_ids();

        // If the waiting sequence will fit, add it. Otherwise remove it
        let mut new_waiting = Backer::new();
        for seq in waiting.into_iter() {
            if self.sequence_fits(&running, &seq) {
                if seq.is_waiting() {
                    seq.set_state(SequenceState::RunningPrompt);
                }
                running.push(seq);
            } else {
                new_waiting.add(seq);
            }
        }

        let BucketedSeqs {
            running,
            waiting: new_waiting,
        } = self
            .bucketing_manager
            .bucket_and_waitlist_seqs_waiting(running, new_waiting, false);

        self.running = running;
        self.waiting = new_waiting;

        logger.set_num_running(self.running.len());
        logger.set_num_waiting(self.waiting.len());

        let mut completion = Vec::new();
        let mut prompt = Vec::new();
        for seq in &mut self.running {
            if seq.is_completion() {
                completion.push(seq);
            } else {
                prompt.push(seq);
            }
        }

        DefaultSchedulerOutput {
            completion: completion.into(),
            prompt: prompt.into(),
        }
    }

    /// Decoding sequences of any lengths run together (see `Scheduler::set_ragged_decoding`).
    pub fn set_ragged_decoding(&mut self, enabled: bool) {
        self.bucketing_manager = match self.method {
            DefaultSchedulerMethod::Fixed(_) => Box::new(FixedBucketingManager { ragged: enabled }),
        };
    }

    fn sequence_fits(&self, running: &[Sequence], _seq: &Sequence) -> bool {
        match &self.method {
            DefaultSchedulerMethod::Fixed(n) => (running.len() + 1) <= (*n).into(),
        }
    }
}

impl Scheduler for DefaultScheduler<VecDeque<Sequence>> {
    fn schedule(&mut self, logger: &IntervalLogger) -> SchedulerOutput<'_> {
        SchedulerOutput::DefaultScheduler {
            output: self.schedule(logger),
        }
    }
    fn waiting_len(&self) -> usize {
        self.waiting.len()
    }
    fn running_len(&self) -> usize {
        self.running.len()
    }
    fn add_seq(&mut self, seq: Sequence) {
        if seq.is_running() {
            // prefill case
            self.running.push(seq);
        } else {
            self.waiting.add(seq);
        }
    }
    fn block_size(&self) -> Option<usize> {
        None
    }
    fn free_finished_sequence_groups(&mut self) {
        // Remove finished sequences
        self.running.retain(|seq| !seq.is_finished_paged_attn());
    }
    fn get_finished_recurrent_indices(&self) -> Vec<usize> {
        self.running
            .iter()
            .filter(|seq| seq.is_finished_paged_attn())
            .filter_map(|seq| seq.recurrent_state_idx())
            .collect()
    }
    fn kv_cache_manager(&self) -> Option<Arc<tokio::sync::Mutex<KVCacheManager>>> {
        None
    }
    fn set_prefix_caching_enabled(&mut self, _enabled: bool) {
        // DefaultScheduler doesn't use PagedAttention prefix caching
    }
    fn set_ragged_decoding(&mut self, enabled: bool) {
        DefaultScheduler::set_ragged_decoding(self, enabled);
    }
}

/// The default scheduler driven without a model, for tests outside this crate: sequences of
/// given lengths are added as the engine adds requests, and each [`SchedulerProbe::step`]
/// schedules once and does to the scheduled sequences what a forward pass does (a prompt
/// becomes a decoding sequence, every scheduled sequence gets one token). Only for tests.
pub struct SchedulerProbe {
    scheduler: DefaultScheduler<VecDeque<Sequence>>,
    logger: IntervalLogger,
    next_id: usize,
    receivers: Vec<tokio::sync::mpsc::Receiver<crate::Response>>,
}

/// What one [`SchedulerProbe::step`] ran, by the ids [`SchedulerProbe::add_request`] gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeStep {
    /// Sequences run as prompts (their tokens from the prompt offset through the model).
    pub prompt: Vec<usize>,
    /// Sequences run as one decoding step (their last token through the model).
    pub completion: Vec<usize>,
}

impl SchedulerProbe {
    /// The same with ragged decoding on (see `Scheduler::set_ragged_decoding`).
    pub fn with_ragged_decoding(max_running: usize) -> Self {
        let mut probe = Self::new(max_running);
        probe.scheduler.set_ragged_decoding(true);
        probe
    }

    /// A scheduler that runs at most `max_running` sequences at once.
    pub fn new(max_running: usize) -> Self {
        let method = DefaultSchedulerMethod::Fixed(NonZeroUsize::new(max_running.max(1)).unwrap());
        Self {
            scheduler: DefaultScheduler::new(method),
            logger: IntervalLogger::new(std::time::Duration::from_secs(3600), None),
            next_id: 0,
            receivers: Vec::new(),
        }
    }

    fn sequence(&mut self, prompt_tokens: usize) -> Sequence {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        self.receivers.push(rx);
        let sampler = crate::sampler::Sampler::new(
            None,
            0,
            None,
            None,
            None,
            None,
            None,
            32,
            1.0,
            0.0,
            vec![],
        )
        .expect("a greedy sampler");
        let group = Arc::new(tokio::sync::Mutex::new(
            crate::sequence::SequenceGroup::new(1, false, true, None),
        ));
        let id = self.next_id;
        self.next_id += 1;
        Sequence::new_waiting(
            (0..prompt_tokens as u32).collect(),
            String::new(),
            id,
            0,
            1,
            tx,
            sampler,
            vec![],
            vec![],
            None,
            false,
            false,
            group,
            0,
            0,
            crate::sequence::SequenceRecognizer::None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            crate::sequence::SeqStepType::PromptAndDecode,
            None,
            None,
            None,
            false,
            vec![],
        )
    }

    /// A new request of `prompt_tokens` tokens; returns its id.
    pub fn add_request(&mut self, prompt_tokens: usize) -> usize {
        let seq = self.sequence(prompt_tokens);
        let id = *seq.id();
        self.scheduler.add_seq(seq);
        id
    }

    /// A new request of `prompt_tokens` tokens whose first `cached` tokens were found in the
    /// prefix cache, as the engine adds it (its prompt starts at offset `cached`).
    pub fn add_request_after_prefix_hit(&mut self, prompt_tokens: usize, cached: usize) -> usize {
        let seq = self.sequence(prompt_tokens);
        let id = *seq.id();
        let rest = (cached as u32..prompt_tokens as u32).collect();
        self.scheduler
            .add_seq(seq.prefill_v2_normal(vec![None], rest, cached));
        id
    }

    /// Schedules once and applies what the engine's forward passes do to what was scheduled.
    pub fn step(&mut self) -> ProbeStep {
        let output = self.scheduler.schedule(&self.logger);
        let mut step = ProbeStep::default();
        let token = |seq: &mut Sequence| {
            let next = seq.get_toks().len() as u32;
            seq.add_token(
                crate::sampler::Logprobs {
                    token: next,
                    logprob: 0.0,
                    bytes: None,
                    top_logprobs: None,
                },
                vec![],
                &None,
            );
        };
        for seq in output.completion.into_vec() {
            step.completion.push(*seq.id());
            token(seq);
        }
        for seq in output.prompt.into_vec() {
            step.prompt.push(*seq.id());
            seq.set_state(SequenceState::RunningCompletion);
            token(seq);
        }
        step
    }

    /// The number of tokens of sequence `id` (prompt and answer), if it is still scheduled.
    pub fn tokens(&self, id: usize) -> Option<usize> {
        self.scheduler
            .running
            .iter()
            .chain(self.scheduler.waiting.iter())
            .find(|seq| *seq.id() == id)
            .map(|seq| seq.len())
    }

    /// Sequence `id`'s answer ends (as at an end-of-sequence token).
    pub fn finish(&mut self, id: usize) {
        for seq in self
            .scheduler
            .running
            .iter()
            .chain(self.scheduler.waiting.iter())
        {
            if *seq.id() == id {
                seq.set_state(SequenceState::Done(StopReason::Eos));
            }
        }
    }
}
