//! The Arena view over a hand-built arena on disk: the table with Elo intervals and rates,
//! the harmless-against-helpful chart, one prompt's answers side by side; and blind judging
//! over its pairs, which shows no contestant, model or score and writes each pick to the
//! arena's `human.jsonl`, after which the view's scores count the person.

use super::*;
use crate::ab::arena::load::read_picks;
use crate::ab::arena::{ArenaManifest, ArenaMatch, ContestantEntry, ARENA_FILE, MATCHES_FILE};
use crate::ab::head_to_head::{HeadToHead, Question, QuestionVerdict};
use crate::tui::parts::arena::read;
use crate::tui::views::popups::Popup;

/// Three contestants on two red-team prompts and one benign, every pair compared.
fn arena_on_disk(dir: &std::path::Path) -> std::path::PathBuf {
    let arena = dir.join("arena-1");
    std::fs::create_dir_all(&arena).unwrap();
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
        feedback_model: "judge-model-xyz".into(),
        prompts_path: "red.jsonl".into(),
        benign_path: None,
        red_team: vec!["r1".into(), "r2".into()],
        benign: vec!["b1".into()],
        seed: 42,
        program_version: "0".into(),
    };
    std::fs::write(
        arena.join(ARENA_FILE),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    // harmless beats base and candid on harmlessness, candid leads on helpfulness.
    let p = |a: &str, b: &str, question: Question| -> f64 {
        let rank = |n: &str| match (n, question) {
            ("harmless", Question::Harmless) | ("candid", Question::Helpful) => 2.0,
            ("base", _) => 1.0,
            _ => 0.0,
        };
        0.5 + 0.12 * (rank(a) - rank(b))
    };
    let mut lines = String::new();
    for (id, benign) in [("r1", false), ("r2", false), ("b1", true)] {
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            let verdict = |question| QuestionVerdict {
                question,
                p_a_first: p(names[i], names[j], question),
                p_a_second: p(names[i], names[j], question),
                p_a: p(names[i], names[j], question),
                floored: false,
            };
            let m = ArenaMatch {
                contestants: [names[i].into(), names[j].into()],
                temperature: None,
                head_to_head: HeadToHead {
                    prompt_id: id.into(),
                    benign,
                    a: format!("answer of {} to {id}", names[i]),
                    b: format!("answer of {} to {id}", names[j]),
                    verdicts: vec![verdict(Question::Harmless), verdict(Question::Helpful)],
                },
            };
            lines.push_str(&serde_json::to_string(&m).unwrap());
            lines.push('\n');
        }
    }
    std::fs::write(arena.join(MATCHES_FILE), lines).unwrap();
    arena
}

#[test]
fn the_arena_view_shows_elo_with_intervals_the_chart_and_answers_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = arena_on_disk(tmp.path());
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    let mut loaded = read(&dir).unwrap();
    // A fixed directory in the title, for a stable snapshot.
    loaded.dir = "sessions/arena-1".into();
    assert_eq!(
        loaded.blind.len(),
        9,
        "every match has two different answers"
    );
    let harmless = crate::ab::arena::scores::find(
        &loaded.outcome.scores,
        Question::Harmless,
        crate::ab::outcome::PromptSet::RedTeam,
        crate::ab::arena::scores::Rater::Ai,
    )
    .unwrap();
    let cell = crate::ab::arena::markdown::elo_cell(Some(harmless), 1);
    app.handle_event(AppEvent::Arena(Ok(Box::new(loaded))));
    press(&mut app, &[key('8')]);
    let screen = render(&mut app, 130, 40);
    assert!(
        screen.contains("Arena: 9 matches by judge-model-xyz"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("harmless {cell}")),
        "{cell}\n{screen}"
    );
    assert!(
        screen.contains("Harmless vs helpful Elo (95% CI)"),
        "{screen}"
    );
    assert!(screen.contains("answer of candid to r1"), "{screen}");
    press(&mut app, &[key('n')]);
    let next = render(&mut app, 130, 40);
    assert!(next.contains("answer of candid to r2"), "{next}");
    insta::assert_snapshot!("arena_view", screen);
}

#[test]
fn blind_judging_over_the_arena_hides_contestants_and_writes_human_picks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = arena_on_disk(tmp.path());
    let (mut app, mut rx) = app_with("c.toml".into(), 0);
    app.handle_event(AppEvent::Arena(Ok(Box::new(read(&dir).unwrap()))));
    press(&mut app, &[key('8'), key('B')]);
    assert!(
        matches!(app.popups.last(), Some(Popup::Blind(_))),
        "B opens blind judging"
    );
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("arena pairs"), "{screen}");
    assert!(
        screen.contains(Question::Harmless.text().split(' ').next().unwrap()),
        "{screen}"
    );
    for giveaway in ["judge-model-xyz", "Elo", "0.62", "0.38"] {
        assert!(!screen.contains(giveaway), "{giveaway} shows:\n{screen}");
    }
    press(&mut app, &[key('a')]);
    // The pick is written on a thread of its own; then the arena is read again.
    let mut reread = false;
    while !reread {
        match rx.blocking_recv() {
            Some(event @ AppEvent::Arena(_)) => {
                app.handle_event(event);
                reread = true;
            }
            Some(event) => app.handle_event(event),
            None => panic!("the pick never reported back"),
        }
    }
    let picks = read_picks(&dir).unwrap();
    assert_eq!(picks.len(), 1);
    assert_eq!(picks[0].prompt_id, "r1");
    assert_eq!(
        picks[0].picked.as_deref(),
        Some(picks[0].shown_first.as_str())
    );
    let arena = app.views.arena.arena.as_ref().unwrap();
    assert_eq!(arena.outcome.human_picks, 1);
    assert_eq!(arena.blind.len(), 8, "the picked pair left the queue");
}
