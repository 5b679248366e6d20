//! The Arena view and blind judging over an arena's pairs in the real workbench, driven in
//! tmux: an arena of three contestants written to disk beside the session, view 8 shows their
//! Elo with intervals and the chart, `B` judges its pairs with no contestant, model or score on
//! screen, and the picks reach the arena's `human.jsonl`, after which the view counts them.

use std::path::Path;

use cai_workbench::ab::arena::load::read_picks;
use cai_workbench::ab::arena::{
    ArenaManifest, ArenaMatch, ContestantEntry, ARENA_FILE, MATCHES_FILE,
};
use cai_workbench::ab::head_to_head::{HeadToHead, Question, QuestionVerdict};

use crate::support::tmux::{
    after_exit, cai_binary, quoted, repo_path, require_tmux, synthetic_session, Tmux,
    SCREEN_TIMEOUT,
};

/// Three contestants, two red-team prompts and one benign, every pair compared by a judge
/// named `judge-xyz`; `harmless` leads on harmlessness, `candid` on helpfulness.
fn arena_on_disk(dir: &Path) {
    std::fs::create_dir_all(dir).expect("arena dir");
    let names = ["base", "harmless", "candid"];
    let manifest = ArenaManifest {
        created_at: "2026-12-02T00:00:00Z".into(),
        contestants: names
            .iter()
            .map(|n| ContestantEntry {
                name: n.to_string(),
                model: "default".into(),
                model_detail: "the default model (in process)".into(),
                constitution_path: None,
                constitution: n.to_string(),
                sha256: format!("sha-{n}"),
            })
            .collect(),
        feedback_model: "judge-xyz".into(),
        prompts_path: "red.jsonl".into(),
        benign_path: None,
        red_team: vec!["r1".into(), "r2".into()],
        benign: vec!["b1".into()],
        seed: 42,
        program_version: "test".into(),
    };
    std::fs::write(dir.join(ARENA_FILE), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let rank = |n: &str, q: Question| match (n, q) {
        ("harmless", Question::Harmless) | ("candid", Question::Helpful) => 2.0,
        ("base", _) => 1.0,
        _ => 0.0,
    };
    let mut lines = String::new();
    for (id, benign) in [("r1", false), ("r2", false), ("b1", true)] {
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            let verdict = |question| {
                let p = 0.5 + 0.12 * (rank(names[i], question) - rank(names[j], question));
                QuestionVerdict {
                    question,
                    p_a_first: p,
                    p_a_second: p,
                    p_a: p,
                    floored: false,
                }
            };
            let m = ArenaMatch {
                contestants: [names[i].into(), names[j].into()],
                temperature: None,
                head_to_head: HeadToHead {
                    prompt_id: id.into(),
                    benign,
                    a: format!("Answer number {i} to {id}."),
                    b: format!("Answer number {j} to {id}."),
                    verdicts: vec![verdict(Question::Harmless), verdict(Question::Helpful)],
                },
            };
            lines.push_str(&serde_json::to_string(&m).unwrap());
            lines.push('\n');
        }
    }
    std::fs::write(dir.join(MATCHES_FILE), lines).unwrap();
}

#[test]
fn the_arena_view_and_blind_picks_over_its_pairs_in_the_real_workbench() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    require_tmux();
    let tmp = tempfile::tempdir().expect("temp dir");
    let session = tmp.path().join("session");
    synthetic_session(&session, "arena-test", 1);
    let arena = tmp.path().join("arena-1");
    arena_on_disk(&arena);
    let command = format!(
        "{} tui --constitution {} --prompts {} --session {}; {}",
        quoted(&cai_binary()),
        quoted(&repo_path("tests/fixtures/tiny.toml")),
        quoted(&repo_path("tests/fixtures/tiny-prompts.jsonl")),
        quoted(&session),
        after_exit()
    );
    let mut tmux = Tmux::start(tmp.path(), &command);
    tmux.wait_for("Constitution", SCREEN_TIMEOUT);
    tmux.keys(&["8"]);
    let screen = tmux.wait_for("Harmless vs helpful Elo", SCREEN_TIMEOUT);
    tmux.keep("arena-view");
    assert!(
        screen.contains("Arena: 9 matches by judge-xyz, 0 blind picks"),
        "{screen}"
    );
    assert!(screen.contains("● harmless"), "{screen}");
    assert!(screen.contains("Answer number 2 to r1."), "{screen}");

    tmux.keys(&["B"]);
    let screen = tmux.wait_for("Blind judging", SCREEN_TIMEOUT);
    tmux.keep("arena-blind");
    assert!(
        screen.contains("Which of these responses is less harmful?"),
        "{screen}"
    );
    for giveaway in ["judge-xyz", "Elo", "● base", "harmless 1", "0.62"] {
        assert!(
            !screen.contains(giveaway),
            "`{giveaway}` shown blind:\n{screen}"
        );
    }
    tmux.keys(&["a"]);
    tmux.wait_for("1 picked", SCREEN_TIMEOUT);
    tmux.keys(&["t"]);
    tmux.wait_for("2 picked", SCREEN_TIMEOUT);
    tmux.keys(&["Escape"]);
    // The view reads the arena again after each pick: it counts both.
    tmux.wait_for("2 blind picks", SCREEN_TIMEOUT);
    tmux.keys(&["q"]);
    tmux.wait_for_exit(SCREEN_TIMEOUT);
    let picks = read_picks(&arena).expect("human.jsonl reads");
    assert_eq!(picks.len(), 2);
    assert_eq!(picks[0].prompt_id, "r1");
    assert_eq!(
        picks[0].picked.as_deref(),
        Some(picks[0].shown_first.as_str()),
        "a picks (A)"
    );
    assert_eq!(picks[1].picked, None, "t is a tie");
}
