//! What a session was made with, and the rule that keeps it whole: a session belongs to one
//! constitution (by the sha256 of its file) and one pair of models (policy and feedback).
//!
//! Every front end builds the manifest of a run with [`RunManifest`] (`cai run`, `cai ab`, the
//! workbench), and every one asks [`Manifest::check_run`] before adding records to a session
//! that exists: records of another constitution or other models go to another session, so an
//! export never stamps one constitution's hash on another's records.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::constitution::{Constitution, Settings};
use crate::model::ModelInfo;

/// What a session was made with. Written once when the session is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub created_at: String,
    pub constitution_name: String,
    /// sha256 of the constitution file's bytes.
    pub constitution_sha256: String,
    /// The whole constitution file as it was when the session was created.
    pub constitution_toml: String,
    pub constitution_path: Option<String>,
    pub prompts_path: Option<String>,
    pub policy_model: ModelInfo,
    pub feedback_model: ModelInfo,
    pub settings: Settings,
    pub seed: u64,
    /// Version of the program that created the session.
    pub program_version: String,
}

/// A run about to add records to a session: its constitution (as parsed, with any overrides
/// the front end applied to its settings), the text it was parsed from, and the models.
#[derive(Debug, Clone)]
pub struct RunManifest<'a> {
    pub constitution: &'a Constitution,
    /// The constitution file's text (its sha256 identifies the constitution).
    pub constitution_text: &'a str,
    pub constitution_path: Option<&'a Path>,
    pub prompts_path: Option<&'a Path>,
    pub policy: ModelInfo,
    pub feedback: ModelInfo,
}

impl RunManifest<'_> {
    /// The manifest of a new session in `dir` for this run (named after the directory).
    pub fn manifest(&self, dir: &Path) -> Manifest {
        Manifest {
            name: dir
                .file_name()
                .map_or("session".into(), |n| n.to_string_lossy().into_owned()),
            created_at: chrono::Utc::now().to_rfc3339(),
            constitution_name: self.constitution.name.clone(),
            constitution_sha256: crate::fsutil::sha256_hex(self.constitution_text.as_bytes()),
            constitution_toml: self.constitution_text.to_string(),
            constitution_path: self.constitution_path.map(|p| p.display().to_string()),
            prompts_path: self.prompts_path.map(|p| p.display().to_string()),
            policy_model: self.policy.clone(),
            feedback_model: self.feedback.clone(),
            settings: self.constitution.settings.clone(),
            seed: self.constitution.settings.seed,
            program_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Why a run may not add records to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The session was made with another constitution (or another version of it).
    Constitution {
        session_name: String,
        session_sha256: String,
        run_name: String,
        run_sha256: String,
    },
    /// The session was made with another policy or feedback model.
    Model {
        /// "policy" or "feedback".
        role: &'static str,
        session: String,
        run: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Constitution {
                session_name,
                session_sha256,
                run_name,
                run_sha256,
            } => write!(
                f,
                "it was made with another constitution ({session_name}, sha256 {}); this run's \
                 constitution is {run_name}, sha256 {}",
                short_hash(session_sha256),
                short_hash(run_sha256)
            ),
            Mismatch::Model { role, session, run } => write!(
                f,
                "it was made with another {role} model ({session}); this run's is {run}"
            ),
        }
    }
}

impl Manifest {
    /// Whether records of the constitution `name` with file hash `sha256` belong here.
    pub fn check_constitution(&self, name: &str, sha256: &str) -> Result<(), Mismatch> {
        if self.constitution_sha256 == sha256 {
            return Ok(());
        }
        Err(Mismatch::Constitution {
            session_name: self.constitution_name.clone(),
            session_sha256: self.constitution_sha256.clone(),
            run_name: name.to_string(),
            run_sha256: sha256.to_string(),
        })
    }

    /// Whether the records of the run described by `run` belong here: the same constitution
    /// and the same policy and feedback models.
    pub fn check_run(&self, run: &Manifest) -> Result<(), Mismatch> {
        self.check_constitution(&run.constitution_name, &run.constitution_sha256)?;
        for (role, ours, theirs) in [
            ("policy", &self.policy_model, &run.policy_model),
            ("feedback", &self.feedback_model, &run.feedback_model),
        ] {
            if !ours.same_model(theirs) {
                return Err(Mismatch::Model {
                    role,
                    session: ours.id.clone(),
                    run: theirs.id.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The first 12 characters of a hash, for messages (a hand-edited manifest may hold less).
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, sha: Option<&str>) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            path: None,
            sha256: sha.map(str::to_string),
            server: None,
        }
    }

    fn manifest(text: &str, policy: ModelInfo) -> Manifest {
        let constitution =
            crate::constitution::parse_constitution(text, None).expect("a valid constitution");
        RunManifest {
            constitution: &constitution,
            constitution_text: text,
            constitution_path: None,
            prompts_path: None,
            feedback: policy.clone(),
            policy,
        }
        .manifest(Path::new("sessions/s1"))
    }

    const HARMLESS: &str =
        "name = \"harmless\"\n[[principles]]\nid = \"p\"\ncritique = \"c\"\nrevision = \"r\"\n";

    #[test]
    fn a_run_of_the_same_constitution_and_models_belongs_to_the_session() {
        let session = manifest(HARMLESS, model("m.gguf", Some("aa")));
        let run = manifest(HARMLESS, model("renamed.gguf", Some("aa")));
        assert_eq!(session.name, "s1");
        assert_eq!(session.check_run(&run), Ok(()));
    }

    #[test]
    fn another_constitution_or_an_edit_of_it_is_refused_with_both_hashes() {
        let session = manifest(HARMLESS, model("m", Some("aa")));
        let edited = manifest(
            &HARMLESS.replace("name = \"harmless\"", "name = \"candid\""),
            model("m", Some("aa")),
        );
        let err = session.check_run(&edited).unwrap_err();
        let Mismatch::Constitution {
            session_name,
            run_name,
            ..
        } = &err
        else {
            panic!("expected a constitution mismatch, got {err:?}");
        };
        assert_eq!(
            (session_name.as_str(), run_name.as_str()),
            ("harmless", "candid")
        );
        let shown = err.to_string();
        assert!(
            shown.contains(short_hash(&session.constitution_sha256)),
            "{shown}"
        );
        assert!(
            shown.contains(short_hash(&edited.constitution_sha256)),
            "{shown}"
        );
    }

    #[test]
    fn another_model_is_refused_naming_its_role() {
        let session = manifest(HARMLESS, model("a.gguf", Some("aa")));
        let mut run = manifest(HARMLESS, model("a.gguf", Some("aa")));
        run.feedback_model = model("b.gguf", Some("bb"));
        assert_eq!(
            session.check_run(&run),
            Err(Mismatch::Model {
                role: "feedback",
                session: "a.gguf".into(),
                run: "b.gguf".into()
            })
        );
    }
}
