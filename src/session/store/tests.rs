//! Tests of sessions on disk: create, reopen, the lock, torn writes, the runner's writer.

use super::*;
use crate::constitution::Settings;
use crate::data::RecordStatus;
use crate::model::ModelInfo;
use crate::session::state::tests::record;
use crate::session::ReviewState;

/// A manifest for tests.
pub(crate) fn manifest(name: &str) -> Manifest {
    let model = |id: &str| ModelInfo {
        id: id.to_string(),
        path: None,
        sha256: Some(format!("{id}-sha")),
        server: None,
    };
    Manifest {
        name: name.to_string(),
        created_at: "2024-01-01T00:00:00Z".into(),
        constitution_name: "test-constitution".into(),
        constitution_sha256: "c0ffee".into(),
        constitution_toml: "name = \"test-constitution\"\n".into(),
        constitution_path: None,
        prompts_path: None,
        policy_model: model("policy"),
        feedback_model: model("feedback"),
        settings: Settings::default(),
        seed: 7,
        program_version: "0.0.0".into(),
    }
}

fn approved() -> Review {
    Review {
        state: ReviewState::Approved,
        edited: None,
        flipped: false,
        label_checked: false,
        at: "t".into(),
    }
}

#[test]
fn create_append_reopen_gives_same_state() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("s1");
    let mut session = Session::create(&dir, manifest("s1")).unwrap();
    let a = record("a", RecordStatus::Done, "x");
    let b = record("b", RecordStatus::Failed("oom".into()), "");
    session.append_record(&a).unwrap();
    session.append_record(&b).unwrap();
    session.set_review(&a.prompt.id, approved()).unwrap();
    let before = session.state().clone();
    drop(session);

    let reopened = Session::open(&dir).unwrap();
    assert_eq!(reopened.state(), &before);
    assert_eq!(reopened.manifest(), &manifest("s1"));
    assert!(reopened.warnings().is_empty());
    assert_eq!(
        reopened.state().review(&a.prompt.id).state,
        ReviewState::Approved
    );
}

#[test]
fn create_refuses_an_existing_session() {
    let root = tempfile::tempdir().unwrap();
    Session::create(root.path(), manifest("s")).unwrap();
    let err = Session::create(root.path(), manifest("s")).unwrap_err();
    assert!(matches!(err, SessionError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains(&root.path().display().to_string()));
}

#[test]
fn open_without_manifest_or_with_bad_manifest_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let err = Session::open(root.path()).unwrap_err();
    assert!(matches!(err, SessionError::NoManifest { .. }));
    std::fs::write(root.path().join(MANIFEST_FILE), "{\n  \"name\": 3\n}").unwrap();
    let err = Session::open(root.path()).unwrap_err();
    assert!(err.to_string().contains("manifest.json:2:"), "{err}");
}

#[test]
fn review_of_unknown_id_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let mut session = Session::create(root.path(), manifest("s")).unwrap();
    let err = session.set_review("nope", approved()).unwrap_err();
    assert!(matches!(err, SessionError::UnknownRecord { .. }));
    assert!(session.resolve_id("nope").is_err());
}

#[test]
fn torn_write_is_skipped_on_open_and_the_log_stays_appendable() {
    let root = tempfile::tempdir().unwrap();
    let mut session = Session::create(root.path(), manifest("s")).unwrap();
    let a = record("a", RecordStatus::Done, "x");
    session.append_record(&a).unwrap();
    drop(session);
    let log = root.path().join(EVENTS_FILE);
    let b = record("b", RecordStatus::Done, "y");
    let line = serde_json::to_string(&LogEvent::Record {
        record: Box::new(b.clone()),
    });
    let line = line.unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(&line.as_bytes()[..line.len() / 3]);
    std::fs::write(&log, bytes).unwrap();

    let mut session = Session::open(root.path()).unwrap();
    assert_eq!(session.state().records().len(), 1);
    assert_eq!(session.warnings().len(), 2, "{:?}", session.warnings());
    assert!(session.warnings()[0].starts_with("events.jsonl:2: torn last line"));
    assert!(root.path().join("events.jsonl.torn").exists());
    session.append_record(&b).unwrap();
    drop(session);
    let session = Session::open(root.path()).unwrap();
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
    assert_eq!(session.state().records().len(), 2);
}

#[test]
fn writer_appends_durably_through_the_sink() {
    let root = tempfile::tempdir().unwrap();
    let writer = SessionWriter::new(Session::create(root.path(), manifest("s")).unwrap());
    let a = record("a", RecordStatus::Done, "x");
    writer.record_finished(&a).unwrap();
    assert_eq!(writer.session().lock().unwrap().state().records().len(), 1);
    // The writer still holds the lock: a second writer is refused, a reader sees the record.
    assert!(matches!(
        Session::open(root.path()),
        Err(SessionError::Locked { .. })
    ));
    let reopened = Session::open_read_only(root.path()).unwrap();
    assert_eq!(reopened.state().get(&a.prompt.id), Some(&a));
    let mut viewer = reopened;
    assert!(!viewer.is_writable());
    let err = viewer.append_record(&a).unwrap_err();
    assert!(matches!(err, SessionError::ReadOnly { .. }), "{err}");
    drop(writer);
    assert!(Session::open(root.path()).unwrap().is_writable());
}

#[test]
fn list_sessions_summarises_and_skips_plain_dirs() {
    let root = tempfile::tempdir().unwrap();
    let mut s = Session::create(&root.path().join("one"), manifest("one")).unwrap();
    s.append_record(&record("a", RecordStatus::Done, "x"))
        .unwrap();
    std::fs::create_dir(root.path().join("not-a-session")).unwrap();
    let list = crate::session::list_sessions(root.path());
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "one");
    assert_eq!(list[0].records, 1);
    assert_eq!(list[0].counts.pending, 1);
    assert_eq!(list[0].constitution_name, "test-constitution");
    assert!(crate::session::list_sessions(&root.path().join("missing")).is_empty());
}
