//! Judging the judge in the workbench: blind picks (positions drawn at random, nothing that
//! would give the feedback model's label, the model, the principle or the sources away on
//! screen), their way into the session log, and the Judge view over an eval.

use super::*;
use crate::eval::config::parse_configs;
use crate::eval::dir::{Answer, AskKey, SetEntry};
use crate::eval::run::{asks_of, EvalPlan};
use crate::eval::sets::{Item, KnownAnswer};
use crate::tui::views::blind::BlindJudge;
use crate::tui::views::popups::Popup;

fn open_blind(app: &mut App, seed: u64) {
    press(app, &[key('4'), key('B')]);
    assert!(
        matches!(app.popups.last(), Some(Popup::Blind(_))),
        "B opens blind judging"
    );
    // The same popup with its positions drawn from a fixed seed, for a stable screen.
    app.popups.pop();
    app.popups
        .push(Popup::Blind(Box::new(BlindJudge::with_seed(&app.ws, seed))));
}

fn shown(app: &App) -> crate::tui::views::blind::Shown {
    match app.popups.last() {
        Some(Popup::Blind(judge)) => judge.shown.clone().expect("a pair on screen"),
        _ => panic!("blind judging is not open"),
    }
}

#[test]
fn blind_judging_shows_no_label_model_principle_or_source() {
    let (mut app, _h) = app_with_session(3);
    let model: std::sync::Arc<dyn crate::model::Backend> =
        std::sync::Arc::new(crate::model::scripted::ScriptedBackend::new().with_id("judge-model"));
    app.handle_event(AppEvent::ModelReady(Ok(crate::model::Models {
        policy: model.clone(),
        feedback: model,
    })));
    assert!(
        render(&mut app, 100, 30).contains("judge-model"),
        "the model is named elsewhere"
    );
    open_blind(&mut app, 1);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("Blind judging"), "{screen}");
    assert!(screen.contains("(A)") && screen.contains("(B)"), "{screen}");
    assert!(
        screen.contains("Synthetic red-team prompt number 0"),
        "{screen}"
    );
    // The synthetic records' sources, label, principle and model, none of which may show.
    for giveaway in [
        "P(A)",
        "initial",
        "revision",
        "less-harmful",
        "judge-model",
        "0.2",
    ] {
        assert!(
            !screen.contains(giveaway),
            "`{giveaway}` on the blind screen:\n{screen}"
        );
    }
    insta::assert_snapshot!("blind_judging", screen);
}

#[test]
fn a_blind_pick_names_the_answer_picked_by_its_source_and_reaches_the_log() {
    let (mut app, mut h) = app_with_session(3);
    open_blind(&mut app, 2);
    let first = shown(&app);
    press(&mut app, &[key('b')]);
    let second = shown(&app);
    assert_ne!(first.id, second.id, "the next pair is shown");
    press(&mut app, &[key('t')]);
    h.settle(&mut app);
    let pick = app
        .ws
        .session
        .blind_pick(&first.id)
        .expect("the pick is folded in");
    assert_eq!(
        pick.picked.as_deref(),
        Some(first.second.0.as_str()),
        "b picks (B)"
    );
    assert_eq!(pick.shown_first, first.first.0);
    let tie = app.ws.session.blind_pick(&second.id).expect("the tie too");
    assert_eq!(tie.picked, None);
    // Both are in the session log on disk.
    let session = crate::session::Session::open_read_only(&h.session_dir()).unwrap();
    assert_eq!(session.state().blind_pick(&first.id), Some(pick));
    assert!(session.state().blind_pick(&second.id).is_some());
    // Opened again, only the pair not picked is left.
    press(&mut app, &[code(KeyCode::Esc)]);
    open_blind(&mut app, 3);
    match app.popups.last() {
        Some(Popup::Blind(judge)) => assert_eq!(judge.remaining(), 1),
        _ => unreachable!(),
    }
}

#[test]
fn positions_are_drawn_so_each_source_is_shown_first_sometimes() {
    let (app, _h) = app_with_session(12);
    let firsts: Vec<String> = (0..12)
        .map(|seed| BlindJudge::with_seed(&app.ws, seed).shown.unwrap().first.0)
        .collect();
    assert!(firsts.iter().any(|s| s == "initial"), "{firsts:?}");
    assert!(firsts.iter().any(|s| s == "revision"), "{firsts:?}");
}

/// A saved eval of 20 pair questions: right on 14 at P 0.8, wrong on 6 at 0.8.
fn saved_eval() -> crate::eval::SavedEval {
    let text = "name = \"c\"\n[settings.comparison]\nensemble_size = 1\n[[principles]]\nid = \"p\"\ncritique = \"c\"\nrevision = \"r\"\n[[comparisons]]\nid = \"kind\"\nquestion = \"Which is kinder?\"\n";
    let constitution = crate::constitution::parse_constitution(text, None).unwrap();
    let configs =
        parse_configs(&["single".into(), "single/one-order".into()], &constitution).unwrap();
    let items: Vec<KnownAnswer> = (0..20)
        .map(|n| KnownAnswer {
            id: format!("s:{n}"),
            set: "known.jsonl".into(),
            item: Item::Pair {
                transcript: format!("Human: q{n}"),
                better: format!("good {n}"),
                worse: format!("bad {n}"),
                set_question: None,
                written: None,
            },
        })
        .collect();
    let entry = SetEntry {
        name: "known.jsonl".into(),
        path: "known.jsonl".into(),
        sha256: String::new(),
        questions: items.len(),
        layout: "preference-pairs".into(),
    };
    let plan = EvalPlan {
        dir: "sessions/eval-x".into(),
        sets: vec![(entry, items)],
        constitution,
        constitution_text: text.into(),
        configs,
        as_written: false,
        in_flight: 1,
    };
    let principles = plan.constitution.enabled_comparisons();
    let mut answers = Vec::new();
    for (n, item) in plan.sets[0].1.iter().enumerate() {
        for key in asks_of(
            item,
            &plan.configs,
            false,
            &principles,
            &plan.constitution.settings,
        ) {
            let AskKey::Pair { better_first, .. } = &key else {
                unreachable!()
            };
            let p_better = if n < 14 { 0.8 } else { 0.2 };
            let p_a = if *better_first {
                p_better
            } else {
                1.0 - p_better
            };
            answers.push(Answer {
                item: item.id.clone(),
                ask: key.clone(),
                p_a_forward: Some(p_a),
                p_a_swapped: Some(p_a),
                probabilities: vec![],
                reasoning: None,
                floored: false,
                served_by: vec![],
                seconds: 0.1,
            });
        }
    }
    let report = crate::eval::report(&plan, &answers, None);
    let feedback = crate::model::ModelInfo {
        id: "judge.gguf".into(),
        path: None,
        sha256: Some("ab".repeat(32)),
        server: None,
    };
    let mut eval = crate::eval::run::manifest(&plan, feedback);
    eval.created_at = "2026-01-01T00:00:00Z".into();
    crate::eval::SavedEval {
        eval,
        report,
        fit: None,
        seconds: 4.0,
    }
}

#[test]
fn the_judge_view_shows_accuracy_with_intervals_and_the_reliability_diagram() {
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    app.views.judge.eval = Some(("sessions/eval-x".into(), saved_eval()));
    press(&mut app, &[key('7')]);
    let screen = render(&mut app, 120, 32);
    // 14 of 20 right: 0.700, Wilson [0.481, 0.855].
    assert!(screen.contains("0.700 [0.481, 0.855] n 20"), "{screen}");
    assert!(screen.contains("Reliability: single"), "{screen}");
    let ece = app.views.judge.eval.as_ref().unwrap().1.report.sets[0].configs[0]
        .ece
        .unwrap();
    assert!(screen.contains(&format!("ECE {ece:.3}")), "{screen}");
    press(&mut app, &[key('c')]);
    let next = render(&mut app, 120, 32);
    assert!(next.contains("Reliability: single/one-order"), "{next}");
    insta::assert_snapshot!("judge_view", screen);
}

#[test]
fn the_judge_view_without_an_eval_says_how_to_make_one() {
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    press(&mut app, &[key('7')]);
    let screen = render(&mut app, 100, 24);
    assert!(screen.contains("cai eval --set"), "{screen}");
}
