//! Real llama.cpp `llama-server` instances for tests: the binary is built once by
//! `scripts/llama-server.sh` (on first use, into the per-user cache), each instance runs the
//! default model on a free loopback port, and a guard stops it when the test ends, passes or
//! fails.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The llama-server binary, built on first use.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/llama-server.sh");
        eprintln!("preparing llama-server (built once, several minutes the first time)");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/llama-server.sh runs");
        assert!(out.status.success(), "building llama-server failed");
        let path = String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        let path = PathBuf::from(path);
        assert!(path.is_file(), "no llama-server at {}", path.display());
        path
    })
}

/// The default model's file, as the workbench runs it (pulled on first use).
pub fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        cai_workbench::model::fetch::ensure_default_model(&|_| {}).expect("the default model")
    })
}

/// A running llama-server; dropping it kills the process.
pub struct LlamaServer {
    child: Option<Child>,
    pub port: u16,
    /// The `/v1` base URL.
    pub url: String,
    log: tempfile::NamedTempFile,
}

/// How to start one.
pub struct Options {
    pub threads: usize,
    /// Parallel sequences (continuous batching).
    pub slots: usize,
    /// Extra arguments (e.g. `--api-key KEY`).
    pub extra: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 1,
            slots: 2,
            extra: Vec::new(),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `GET path` over plain HTTP/1.0: the status code and body.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

impl LlamaServer {
    /// Starts a server with the default model and waits until it is ready.
    pub fn start(options: Options) -> LlamaServer {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let port = free_port();
        let context = 2048 * options.slots.max(1);
        let child = Command::new(binary())
            .arg("-m")
            .arg(model())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-t", &options.threads.to_string()])
            .args(["-np", &options.slots.to_string()])
            .args(["-c", &context.to_string()])
            .args(&options.extra)
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("log"))
            .stderr(log.reopen().expect("log"))
            .spawn()
            .expect("llama-server starts");
        let mut server = LlamaServer {
            child: Some(child),
            port,
            url: format!("http://127.0.0.1:{port}/v1"),
            log,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("llama-server exited ({status}):\n{}", self.log_text());
            }
            if matches!(get(self.port, "/health"), Some((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("llama-server not ready after 120 s:\n{}", self.log_text());
    }

    /// What the server wrote so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Kills the server with SIGKILL (no chance to finish anything) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether any slot is processing a request now (`GET /slots`).
    pub fn busy(&self) -> bool {
        match get(self.port, "/slots") {
            Some((200, body)) => body.contains("\"is_processing\":true"),
            _ => false,
        }
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The crate's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped constitution with short answers and one round, so runs take seconds.
pub fn quick_constitution(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("constitutions/harmless.toml")).unwrap();
    let text = text
        .replace("rounds = 2", "rounds = 1")
        .replace("max_response_tokens = 160", "max_response_tokens = 24")
        .replace("max_critique_tokens = 96", "max_critique_tokens = 16")
        .replace("ensemble_size = 3", "ensemble_size = 1");
    let path = dir.join("quick.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Tests that start servers take turns with every other heavy test ([`super::heavy`]).
pub fn turn() -> std::sync::MutexGuard<'static, ()> {
    super::heavy()
}
