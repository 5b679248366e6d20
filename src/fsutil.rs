//! File-system helpers shared by every writer: atomic replace (temp file, fsync, rename, fsync
//! of the directory), append-only JSON Lines logs ([`append_json_line`], [`read_json_lines`])
//! and hashing, so no reader ever sees a half-written file. Temp files are
//! created with the mode a plain file would get (0666 less the umask, so 0644 under umask 022),
//! so the renamed file is as readable as any other the user makes, never world-writable unless
//! the umask says so.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename, then
/// fsync of the directory. An existing file is replaced only once the new one is complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Creates `dir` if needed and writes `value` into `dir/name` as pretty JSON with a final
/// newline, atomically: a run directory's description, written once when the run starts.
pub fn create_json_file<T: serde::Serialize>(
    dir: &Path,
    name: &str,
    value: &T,
) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name);
    let mut json = serde_json::to_vec_pretty(value)?;
    json.push(b'\n');
    write_atomic(&path, &json).with_context(|| format!("writing {}", path.display()))
}

/// A temp file in `dir` (removed if dropped before it is persisted) whose mode is what the
/// umask gives a new file, not tempfile's private 0600.
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this mode.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Makes a directory's entries durable (a file created, renamed or removed in it survives a
/// crash of the machine). A no-op where directories cannot be opened.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match std::fs::File::open(dir) {
        Ok(d) => d.sync_all(),
        Err(_) => Ok(()),
    }
}

/// Lowercase hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lowercase hex sha256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Appends one value to a JSON Lines log as one line and makes it durable (fsync).
pub fn append_json_line<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut line = serde_json::to_string(value).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// The values of a JSON Lines log written by [`append_json_line`] (none when the file does not
/// exist). A torn last line (a crash mid-write) is dropped from the file, so the next line
/// starts on a line of its own; any other bad line is an error naming its file and line.
pub fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, (n, line)) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(value) => out.push(value),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {
                tracing::warn!("{}: dropping a torn last line", path.display());
                let kept: String = lines[..i].iter().map(|(_, l)| format!("{l}\n")).collect();
                write_atomic(path, kept.as_bytes())
                    .map_err(|e| format!("rewriting {}: {e}", path.display()))?;
            }
            Err(e) => return Err(format!("{}:{}:{}: {e}", path.display(), n + 1, e.column())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"first version, long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_mode_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("export.jsonl");
        write_atomic(&p, b"x").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // A file made the plain way in the same process gets the umask's mode.
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let expected = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "{mode:o} vs {expected:o}");
        assert_eq!(
            mode & 0o002,
            0,
            "never world-writable under the usual umasks"
        );
        assert_ne!(mode, 0o600, "not tempfile's private mode");
    }

    #[test]
    fn sha256_of_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
