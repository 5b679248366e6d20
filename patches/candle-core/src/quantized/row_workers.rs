//! Spinning worker threads for single-row quantized matmuls (one decoding step of one
//! sequence).
//!
//! A decoding step of a small model is a chain of a few hundred small matmuls separated by
//! short serial operations. Sent through rayon, each one is injected into the pool from a
//! thread outside it: the caller sleeps on a latch and the workers are woken with futex calls,
//! often costing as much as the arithmetic. Here the calling thread takes one share of the
//! columns itself and hands the others to workers that spin for a short while between jobs,
//! so back-to-back matmuls pass work without a system call. Workers that stay idle park and
//! cost nothing. A share that panics, on a worker or on the caller, makes the call panic with
//! that panic once every share has finished, as rayon does with its jobs.

use std::any::Any;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

const IDLE: u8 = 0;
const READY: u8 = 1;
const DONE: u8 = 2;

/// How long an idle worker spins (yielding the CPU between checks) before it parks.
const SPIN: Duration = Duration::from_micros(300);

/// A job: run share `index` of the work. The pointer's lifetime is erased; the caller waits
/// for every share to finish before the borrowed data goes away.
type Share = *const (dyn Fn(usize) + Sync);

struct Slot {
    state: AtomicU8,
    parked: AtomicBool,
    job: UnsafeCell<Option<(Share, usize)>>,
    /// The panic of the job the worker just ran, for the caller to raise again.
    panic: UnsafeCell<Option<Box<dyn Any + Send>>>,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` is written only by the caller holding `RowWorkers::busy` while the slot is
// IDLE, and read only by the slot's worker after it sees READY; `panic` is written only by the
// worker before it stores DONE, and taken only by the caller after it sees DONE
// (release/acquire pairs).
unsafe impl Sync for Slot {}
unsafe impl Send for Slot {}

pub struct RowWorkers {
    slots: Vec<Arc<Slot>>,
    busy: Mutex<()>,
}

impl RowWorkers {
    /// The process-wide workers: one fewer than rayon's thread count (the caller is the other).
    /// `CANDLE_ROW_WORKERS=0` turns them off (rayon does the work, as upstream).
    pub fn global() -> &'static RowWorkers {
        static WORKERS: OnceLock<RowWorkers> = OnceLock::new();
        WORKERS.get_or_init(|| {
            let off = std::env::var("CANDLE_ROW_WORKERS").is_ok_and(|v| v == "0");
            let workers = if off {
                0
            } else {
                rayon::current_num_threads().saturating_sub(1)
            };
            RowWorkers::new(workers)
        })
    }

    fn new(workers: usize) -> Self {
        let mut slots = Vec::with_capacity(workers);
        for i in 0..workers {
            let slot = Arc::new(Slot {
                state: AtomicU8::new(IDLE),
                parked: AtomicBool::new(false),
                job: UnsafeCell::new(None),
                panic: UnsafeCell::new(None),
                thread: OnceLock::new(),
            });
            let worker_slot = slot.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("candle-row-{i}"))
                .spawn(move || worker_loop(&worker_slot));
            match spawned {
                Ok(handle) => {
                    let _ = slot.thread.set(handle.thread().clone());
                    slots.push(slot);
                }
                Err(_) => break,
            }
        }
        Self {
            slots,
            busy: Mutex::new(()),
        }
    }

    /// Number of shares `run` splits work into (workers plus the caller).
    pub fn shares(&self) -> usize {
        self.slots.len() + 1
    }

    /// Splits `0..len` into `shares()` contiguous ranges and runs `part` on each, as `run`
    /// does (false, running nothing, when the workers are busy or `len < shares()`).
    pub fn run_ranges(&self, len: usize, part: &(dyn Fn(std::ops::Range<usize>) + Sync)) -> bool {
        let shares = self.shares();
        if len < shares {
            return false;
        }
        let per_share = len.div_ceil(shares);
        self.run(&|share| {
            let start = (share * per_share).min(len);
            part(start..(start + per_share).min(len));
        })
    }

    /// Runs `share(0)` .. `share(shares() - 1)`, share 0 on the calling thread, and returns
    /// when all are done. Returns false without running anything when the workers are busy
    /// with another caller (or there are none), so the caller can take another path. If a
    /// share panics, the call panics with the first such panic (the caller's own first) once
    /// all shares are done: the panicking share's output was never written.
    pub fn run(&self, share: &(dyn Fn(usize) + Sync)) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let Ok(guard) = self.busy.try_lock() else {
            return false;
        };
        // SAFETY: erase the borrow's lifetime; every worker finishes (DONE) before we return.
        let erased: Share = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Share>(share) };
        for (i, slot) in self.slots.iter().enumerate() {
            unsafe { *slot.job.get() = Some((erased, i + 1)) };
            slot.state.store(READY, Ordering::SeqCst);
            if slot.parked.load(Ordering::SeqCst) {
                if let Some(t) = slot.thread.get() {
                    t.unpark();
                }
            }
        }
        // Whatever share 0 does, wait for the workers before the borrowed data can go away.
        let mut panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| share(0))).err();
        for slot in &self.slots {
            let mut spins = 0u32;
            while slot.state.load(Ordering::Acquire) != DONE {
                spins += 1;
                if spins < 4096 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            unsafe { *slot.job.get() = None };
            let worker_panic = unsafe { (*slot.panic.get()).take() };
            panic = panic.or(worker_panic);
            slot.state.store(IDLE, Ordering::Release);
        }
        // Unlocked first: unwinding with the guard held would poison the lock, and every later
        // call would find the workers busy.
        drop(guard);
        if let Some(panic) = panic {
            std::panic::resume_unwind(panic);
        }
        true
    }
}

fn worker_loop(slot: &Slot) {
    loop {
        let idle_since = Instant::now();
        let mut spins = 0u32;
        while slot.state.load(Ordering::Acquire) != READY {
            spins += 1;
            if spins % 64 != 0 {
                std::hint::spin_loop();
                continue;
            }
            if idle_since.elapsed() < SPIN {
                std::thread::yield_now();
                continue;
            }
            slot.parked.store(true, Ordering::SeqCst);
            if slot.state.load(Ordering::SeqCst) != READY {
                std::thread::park();
            }
            slot.parked.store(false, Ordering::SeqCst);
        }
        // SAFETY: READY was stored after the job, with release ordering.
        if let Some((share, index)) = unsafe { *slot.job.get() } {
            let share = unsafe { &*share };
            // Caught so that the worker lives on and the caller does not wait forever; handed
            // to the caller, which raises it again, so the unwritten share is not taken for
            // a result.
            if let Err(panic) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| share(index)))
            {
                unsafe { *slot.panic.get() = Some(panic) };
            }
        }
        slot.state.store(DONE, Ordering::Release);
    }
}
