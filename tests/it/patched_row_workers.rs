//! candle's row workers (`patches/candle-core`, `quantized::row_workers`): a share of the work
//! that panics on a worker thread must reach the caller as that panic, as it does when rayon
//! runs the share, never as a call that returns with that share's output unwritten; and the
//! workers must go on serving the next calls. The checks run in a process of their own, so that
//! the pool size they set (three threads, so two workers beside the caller) is read before
//! anything starts rayon.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use candle_core::quantized::row_workers::RowWorkers;

fn workers() -> &'static RowWorkers {
    static SET_UP: OnceLock<()> = OnceLock::new();
    SET_UP.get_or_init(|| assert_eq!(std::env::var("RAYON_NUM_THREADS").as_deref(), Ok("3")));
    let workers = RowWorkers::global();
    assert_eq!(workers.shares(), 3, "two workers beside the caller");
    workers
}

/// Runs `run` on a share function that writes its index into `out[index]` after `before(index)`,
/// with `out` starting as all `usize::MAX`.
fn run_writing(before: impl Fn(usize) + Sync) -> (std::thread::Result<bool>, Vec<usize>) {
    let workers = workers();
    let out: Vec<AtomicUsize> = (0..workers.shares())
        .map(|_| AtomicUsize::new(usize::MAX))
        .collect();
    let result = catch_unwind(AssertUnwindSafe(|| {
        workers.run(&|share| {
            before(share);
            out[share].store(share, Ordering::SeqCst);
        })
    }));
    (
        result,
        out.into_iter().map(AtomicUsize::into_inner).collect(),
    )
}

fn message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn a_panic_on_a_worker_reaches_the_caller_and_the_workers_keep_serving() {
    crate::support::in_child_process(
        "patched_row_workers::child_a_panic_on_a_worker",
        &[("RAYON_NUM_THREADS", "3")],
        1,
    );
}

#[test]
#[ignore = "run in a child process with three rayon threads, by the test above"]
fn child_a_panic_on_a_worker_reaches_the_caller_and_the_workers_keep_serving() {
    if !crate::support::is_child() {
        return;
    }
    // Every share runs: a plain call writes all of them.
    let (ran, out) = run_writing(|_| {});
    assert!(ran.expect("no panic"), "the workers took the call");
    assert_eq!(out, vec![0, 1, 2]);

    // Share 2 runs on a worker thread and panics before writing its output.
    let (ran, out) = run_writing(|share| {
        if share == 2 {
            panic!("share 2 failed");
        }
    });
    let panic = ran.expect_err("the worker's panic must reach the caller");
    assert_eq!(message(panic), "share 2 failed");
    assert_eq!(out, vec![0, 1, usize::MAX], "the other shares still ran");

    // A panic on the calling thread's own share (0) reaches it too, after the workers finish.
    let (ran, out) = run_writing(|share| {
        if share == 0 {
            panic!("share 0 failed");
        }
    });
    assert_eq!(
        message(ran.expect_err("own share's panic")),
        "share 0 failed"
    );
    assert_eq!(out, vec![usize::MAX, 1, 2]);

    // The workers were not lost with the panics: the next call runs on them, every share.
    let (ran, out) = run_writing(|_| {});
    assert!(
        ran.expect("no panic"),
        "the workers still take calls after a panic"
    );
    assert_eq!(out, vec![0, 1, 2]);
}
