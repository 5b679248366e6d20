//! The session lock: one writer at a time. A program that opens a session for writing holds an
//! exclusive advisory lock (`flock`) on the session's `lock` file for as long as the session is
//! open, with its process id and command written inside, so a second writer is told who holds
//! it. The kernel drops the lock when the holder exits in any way (SIGKILL included), so a lock
//! left by a dead process is simply taken over; the file's stale text is overwritten. Readers
//! (listing, showing, exporting, read-only viewing) do not take it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::SessionError;

/// File name of a session's lock file.
pub const LOCK_FILE: &str = "lock";

/// How many times a held lock is tried again, 50 ms apart, before the holder is reported.
const RETRIES: usize = 10;

/// A held session lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct SessionLock {
    _file: File,
    path: PathBuf,
}

impl SessionLock {
    /// Takes the lock of the session in `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<SessionLock, SessionError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(SessionError::io("open", &path))?;
        // A lock just released can look held for a moment: a child process another thread is
        // starting shares the open file until it execs. Wait that moment out before refusing.
        let mut result = file.try_lock();
        for _ in 0..RETRIES {
            if !matches!(result, Err(TryLockError::WouldBlock)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            result = file.try_lock();
        }
        match result {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(SessionError::Locked {
                    dir: dir.to_path_buf(),
                    holder: describe(&holder),
                });
            }
            Err(TryLockError::Error(e)) => return Err(SessionError::io("lock", &path)(e)),
        }
        let stamp = format!("{} {}\n", std::process::id(), command_line());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(stamp.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(SessionError::io("write", &path))?;
        Ok(SessionLock { _file: file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// "process 123 (`cai run ...`)" from the lock file's text "123 cai run ...".
fn describe(text: &str) -> String {
    let text = text.trim();
    match text.split_once(' ') {
        Some((pid, command)) if pid.parse::<u32>().is_ok() => {
            format!("process {pid} (`{command}`)")
        }
        _ if text.parse::<u32>().is_ok() => format!("process {text}"),
        _ => "another process".to_string(),
    }
}

/// This program's name and first arguments, for the lock file.
fn command_line() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .map(|a| {
            Path::new(&a)
                .file_name()
                .map_or(a.clone(), |n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "cai".into());
    let rest: Vec<String> = args.take(2).collect();
    let line = std::iter::once(program).chain(rest).collect::<Vec<_>>();
    line.join(" ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let held = SessionLock::acquire(dir.path()).unwrap();
        let err = SessionLock::acquire(dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, SessionError::Locked { .. }), "{message}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        drop(held);
        SessionLock::acquire(dir.path()).expect("free again once dropped");
    }

    #[test]
    fn a_stale_lock_file_of_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // What a killed holder leaves: its stamp, but no lock (the kernel dropped it).
        std::fs::write(dir.path().join(LOCK_FILE), "999999999 cai run\n").unwrap();
        let lock = SessionLock::acquire(dir.path()).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert!(
            text.starts_with(&format!("{} ", std::process::id())),
            "{text}"
        );
    }

    #[test]
    fn holder_descriptions() {
        assert_eq!(describe("12 cai run x\n"), "process 12 (`cai run x`)");
        assert_eq!(describe("12"), "process 12");
        assert_eq!(describe(""), "another process");
    }
}
