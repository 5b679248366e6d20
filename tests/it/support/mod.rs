//! What the integration tests share: running `cai` and building sessions on disk
//! ([`common`]), the default model loaded once ([`default_model`]), a fake OpenAI-compatible
//! server for fault tests ([`fake_openai`]), real llama.cpp servers on loopback
//! ([`llama_server`]), the quantized matmul checks of the patched kernels ([`matmul_check`]),
//! the workbench driven in tmux ([`tmux`]);
//! the turns heavy tests take ([`heavy`]) and tests run in a process of their own
//! ([`in_child_process`]).

pub mod common;
pub mod default_model;
pub mod fake_openai;
pub mod llama_server;
pub mod matmul_check;
pub mod tmux;

use std::sync::{Mutex, MutexGuard};

/// Tests that run the model, start servers or install packages take turns, so each has the
/// machine's cores to itself and no test's timing depends on another running beside it. Light
/// tests run alongside.
pub fn heavy() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The variable a test run by [`in_child_process`] finds set.
pub const CHILD: &str = "CAI_TEST_CHILD";

/// Runs this test binary's ignored tests matching `filter` in a process of their own with `env`
/// set (for switches a process reads once, such as a kernel choice or a thread-pool size; an
/// empty value removes the variable, for the default), and fails unless exactly `expected` of
/// them ran and passed there.
pub fn in_child_process(filter: &str, env: &[(&str, &str)], expected: usize) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args([filter, "--ignored", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1");
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the child process failed:\n{stdout}\n{stderr}"
    );
    let summary = format!("test result: ok. {expected} passed");
    assert!(
        stdout.contains(&summary),
        "expected {expected} tests to pass in the child process:\n{stdout}"
    );
}

/// True in a process started by [`in_child_process`]; a child test run any other way (with
/// `--ignored` by hand) returns at once, since its switches are not set.
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}
