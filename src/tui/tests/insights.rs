//! The Insights view over hand-built records and a hand-built A/B run: principle bars,
//! comparison principles, harmlessness against helpfulness. Colours that carry meaning (a
//! principle whose revisions mostly degenerate is drawn red) are asserted on the buffer.

use std::path::PathBuf;

use ratatui::style::Color;

use super::*;
use crate::ab::{outcome, AbManifest, HeadToHead, Question, QuestionVerdict};
use crate::data::Record;
use crate::quality::flag_record;
use crate::session::{LogEvent, SessionState};

const LOOP: &str = "It is a lie. It is a lie. It is a lie. It is a lie. It is a lie. It is a \
                    lie. It is a lie. It is a lie.";

/// Synthetic record `i`, with its last revision looping when `i` is even (the last round of
/// an even record draws "harmful": 6 of its 12 draws degenerate, none of "unethical"'s).
fn record(i: usize) -> Record {
    let mut r = synthetic_record(i);
    if i.is_multiple_of(2) {
        if let Some(last) = r.rounds.last_mut() {
            last.revision.text = LOOP.into();
        }
    }
    r.flags = Some(flag_record(&r, 0.05));
    r
}

fn app_with_records(n: usize) -> App {
    let (mut app, _rx) = app_with(PathBuf::from("constitution.toml"), 0);
    for i in 0..n {
        app.ws.add_record(record(i));
    }
    app
}

/// A/B over six prompts (two benign): A wins 3 of 6 on harmlessness, 1 of 6 on helpfulness.
fn ab() -> crate::ab::AbOutcome {
    ab_run(true)
}

/// The A/B of [`ab`], finished, or (`finished` false) with side A done and side B not started,
/// so no head-to-head verdict yet.
fn ab_run(finished: bool) -> crate::ab::AbOutcome {
    let records: Vec<Record> = (0..6).map(record).collect();
    let ids: Vec<String> = records.iter().map(|r| r.prompt.id.clone()).collect();
    let state = SessionState::from_events(
        &records
            .iter()
            .map(|r| LogEvent::Record {
                record: Box::new(r.clone()),
            })
            .collect::<Vec<_>>(),
    );
    let manifest = AbManifest {
        created_at: "2025-01-01T00:00:00Z".into(),
        constitutions: ["harmless.toml".into(), "candid.toml".into()],
        names: ["harmless".into(), "candid".into()],
        sha256: ["a".into(), "b".into()],
        prompts_path: "red-team.jsonl".into(),
        benign_path: Some("benign.jsonl".into()),
        red_team: ids[..4].to_vec(),
        benign: ids[4..].to_vec(),
        seed: 42,
        program_version: "test".into(),
    };
    let harmless = [0.8, 0.7, 0.6, 0.3, 0.4, 0.45];
    let helpful = [0.6, 0.2, 0.3, 0.4, 0.1, 0.45];
    let h2h: Vec<HeadToHead> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| HeadToHead {
            prompt_id: id.clone(),
            benign: i >= 4,
            a: "A".into(),
            b: "B".into(),
            verdicts: [
                (Question::Harmless, harmless[i]),
                (Question::Helpful, helpful[i]),
            ]
            .map(|(question, p_a)| QuestionVerdict {
                question,
                p_a_first: p_a,
                p_a_second: p_a,
                p_a,
                floored: false,
            })
            .to_vec(),
        })
        .collect();
    if finished {
        outcome(&manifest, &state, &state, &h2h, None)
    } else {
        outcome(&manifest, &state, &SessionState::default(), &[], None)
    }
}

#[test]
fn insights_view_with_an_ab_run() {
    let mut app = app_with_records(12);
    app.views.insights.ab = Some((PathBuf::from("sessions/ab-test"), ab()));
    press(&mut app, &[key('6')]);
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("degenerate revisions 6/24"), "{screen}");
    assert!(
        screen.contains("A harmless") && screen.contains("B candid"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn an_ab_run_still_answering_says_what_the_chart_waits_for() {
    let mut app = app_with_records(12);
    app.views.insights.ab = Some((PathBuf::from("sessions/ab-test"), ab_run(false)));
    press(&mut app, &[key('6')]);
    let screen = render(&mut app, 140, 40);
    assert!(screen.contains("┌ Harmless vs helpful "), "{screen}");
    let flat: String = screen
        .lines()
        .filter_map(|l| l.split('│').nth(3))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(
            "No head-to-head verdicts yet: the feedback model compares the two final answers \
             once both sides are done (A harmless 6/6, B candid 0/6 answered)."
        ),
        "{flat}\n{screen}"
    );
    // The sides' rates line up in columns, however far each side has got.
    assert!(
        screen.contains("│candid       0/6           -           -           -"),
        "{screen}"
    );
    assert!(
        screen.contains("│harmless     6/6   1/4 (25%)    0/2 (0%)   3/6 (50%)"),
        "{screen}"
    );
}

#[test]
fn a_mostly_degenerate_principle_is_drawn_red_and_m_changes_the_statistic() {
    let mut app = app_with_records(12);
    press(&mut app, &[key('6')]);
    let buffer = draw(&mut app, 120, 40);
    let text = render(&mut app, 120, 40);
    let bar_colour = |id: &str| {
        let (row, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(&format!("│{id} ")))
            .unwrap_or_else(|| panic!("a bar for {id}:\n{text}"));
        let x = line
            .chars()
            .position(|c| c == '█' || c == '▏')
            .map(|x| x as u16);
        x.map(|x| buffer[(x, row as u16)].fg)
    };
    assert!(text.contains("harmful   6/12 (50%) █"), "{text}");
    assert_eq!(
        bar_colour("harmful"),
        Some(Color::Red),
        "half or more degenerate is red"
    );
    assert_eq!(bar_colour("unethical"), None, "no bar at 0%");
    press(&mut app, &[key('m')]);
    let text = render(&mut app, 120, 40);
    assert!(text.contains("revisions turned into refusals"), "{text}");
}

#[test]
fn principles_that_do_not_fit_are_counted_and_the_most_biased_comparison_comes_first() {
    use crate::data::PrincipleVerdict;
    let (mut app, _rx) = app_with(PathBuf::from("constitution.toml"), 0);
    let verdict = |id: String, forward: f64, swapped: f64| PrincipleVerdict {
        principle_id: id,
        question: "Which is better?".into(),
        p_a_forward: forward,
        p_a_swapped: Some(swapped),
        p_a: (forward + 1.0 - swapped) / 2.0,
        reasoning: None,
        floored: false,
        temperature: None,
    };
    let mut critique_ids = vec!["harmful".to_string(), "unethical".to_string()];
    for i in 0..12 {
        let mut r = record(i);
        let id = format!("principle-{i:02}");
        r.rounds[0].principle_id = id.clone();
        critique_ids.push(id);
        if let Some(c) = r.comparison.as_mut() {
            // Fourteen even-handed principles and one that favours whatever is shown first.
            c.verdicts = (0..14)
                .map(|k| verdict(format!("cmp-{k:02}"), 0.55, 0.45))
                .chain([verdict("first-shown".into(), 0.9, 0.1)])
                .collect();
        }
        app.ws.add_record(r);
    }
    press(&mut app, &[key('6')]);
    let screen = render(&mut app, 140, 30);
    let shown = |id: &String| screen.contains(&format!("│{id} "));
    let hidden_bars = critique_ids.iter().filter(|id| !shown(id)).count();
    assert!(
        hidden_bars > 0,
        "the test wants more bars than rows:\n{screen}"
    );
    assert!(
        screen.contains(&format!("… {hidden_bars} more, lower")),
        "{hidden_bars} bars not shown and not counted:\n{screen}"
    );
    let comparison_ids: Vec<String> = (0..14)
        .map(|k| format!("cmp-{k:02}"))
        .chain(["first-shown".to_string()])
        .collect();
    let hidden_rows = comparison_ids.iter().filter(|id| !shown(id)).count();
    assert!(
        hidden_rows > 0,
        "the test wants more rows than fit:\n{screen}"
    );
    assert!(
        screen.contains(&format!("… {hidden_rows} more, less biased")),
        "{hidden_rows} comparison principles not shown and not counted:\n{screen}"
    );
    let first_row = screen
        .lines()
        .skip_while(|l| !l.contains("comparison         asked"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        first_row.contains("│first-shown ") && first_row.contains("  biased"),
        "{first_row}\n{screen}"
    );
}
