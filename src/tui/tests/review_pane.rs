//! The review pane beside the queue: the selected record's decision, final answer, flags with
//! their reasons and P(A), and the confirmation of each decision once the log has it. Colours
//! that carry meaning (red for a degenerate answer, yellow for a near tie) are asserted on the
//! buffer.

use std::path::PathBuf;

use ratatui::style::Color;

use super::*;
use crate::quality::flag_record;

#[test]
fn review_pane_beside_the_queue_confirms_each_decision() {
    let (mut app, mut h) = app_with_session(6);
    press(&mut app, &[key('5')]);
    let id = app.views.review.queue(&app.ws)[0].clone();
    let before = render(&mut app, 130, 34);
    assert!(!before.contains('✓'), "no decision yet:\n{before}");
    press(&mut app, &[key('a')]);
    let queued = render(&mut app, 130, 34);
    assert!(
        !queued.contains("in the session log"),
        "not confirmed before it is on disk:\n{queued}"
    );
    assert!(
        queued.contains(&format!(
            "… saving {}: writing to the session log",
            &id[..8]
        )),
        "on its way:\n{queued}"
    );
    h.settle(&mut app);
    let after = render(&mut app, 130, 34);
    assert!(
        after.contains(&format!(
            "✓ approved {}: in the session log · u undoes",
            &id[..8]
        )),
        "{after}"
    );
    // The selection moved on; the pane shows the next record, side by side with the queue.
    assert!(
        after.contains("│pending   U   Synthetic red-team prompt number 1"),
        "{after}"
    );
    assert!(
        after.contains("D degenerate C echo U unchanged 0 empty L cut off ! evasive T tie"),
        "the flag letters explained in full:\n{after}"
    );
    insta::assert_snapshot!(after);
    press(&mut app, &[key('u')]);
    h.settle(&mut app);
    let undone = render(&mut app, 130, 34);
    assert!(
        undone.contains(&format!(
            "↶ undone: {} is pending again (in the session log)",
            &id[..8]
        )),
        "{undone}"
    );
}

#[test]
fn a_decision_that_is_not_saved_says_so_in_the_pane() {
    // No session open: the decision cannot reach a log.
    let (mut app, mut rx) = app_with(PathBuf::from("c.toml"), 2);
    press(&mut app, &[key('5')]);
    let id = app.views.review.queue(&app.ws)[0].clone();
    press(&mut app, &[key('a')]);
    settle(&mut app, &mut rx);
    let buffer = draw(&mut app, 130, 34);
    let text = render(&mut app, 130, 34);
    let needle = format!("✗ {} not saved: no session is open", &id[..8]);
    let (row, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(&needle))
        .unwrap_or_else(|| panic!("{needle} not on screen:\n{text}"));
    let x = line[..line.find(&needle).unwrap()].chars().count() as u16;
    assert_eq!(buffer[(x, row as u16)].fg, Color::Red);
    assert!(
        text.contains("0 approved") && !text.contains("Decision: approved"),
        "nothing shown approved:\n{text}"
    );
}

#[test]
fn a_long_answer_never_pushes_the_flags_and_p_a_out_of_sight() {
    let (mut app, _rx) = app_with(PathBuf::from("c.toml"), 0);
    let mut record = synthetic_record(4);
    if let Some(last) = record.rounds.last_mut() {
        last.revision.text = (1..=40)
            .map(|n| format!("Sentence {n} of a long and careful answer about safety."))
            .collect::<Vec<_>>()
            .join(" ");
    }
    record.flags = Some(flag_record(&record, 0.05));
    let flags: Vec<String> = record.flags().iter().map(|f| f.line()).collect();
    app.ws.add_record(record);
    press(&mut app, &[key('5')]);
    let text = render(&mut app, 130, 24);
    assert!(text.contains("Quality flags: "), "{text}");
    for flag in &flags {
        let start: String = flag.chars().take(40).collect();
        assert!(text.contains(&start), "{flag} not on screen:\n{text}");
    }
    assert!(text.contains("Comparison: P(A) = 0.41"), "{text}");
    assert!(text.contains("label: prefers the revision"), "{text}");
    assert!(text.contains("Final answer (revision 2)"), "{text}");
    assert!(text.contains("Sentence 1 of a long"), "{text}");
    assert!(!text.contains("Sentence 40 "), "{text}");
    // The pane's last row says how much is left and how to read it.
    let pane_rows: Vec<&str> = text.lines().filter(|l| l.contains("││")).collect();
    let last = pane_rows.last().unwrap();
    assert!(
        last.contains("more lines · Enter opens the record"),
        "{last}\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn flags_and_the_comparison_are_shown_with_their_reasons_and_colours() {
    let (mut app, _rx) = app_with(PathBuf::from("c.toml"), 0);
    let mut record = synthetic_record(3);
    if let Some(last) = record.rounds.last_mut() {
        last.revision.text = "It is a lie. It is a lie. It is a lie. It is a lie. It is a lie. \
                              It is a lie. It is a lie. It is a lie."
            .into();
    }
    if let Some(c) = record.comparison.as_mut() {
        c.p_a = 0.52;
        c.choice = crate::data::Choice::A;
    }
    record.flags = Some(flag_record(&record, 0.05));
    app.ws.add_record(record);
    press(&mut app, &[key('5')]);
    let buffer = draw(&mut app, 130, 34);
    let text = render(&mut app, 130, 34);
    let colour_of = |needle: &str| {
        let (row, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{text}"));
        let x = line[..line.find(needle).unwrap()].chars().count() as u16;
        buffer[(x, row as u16)].fg
    };
    assert_eq!(colour_of("⚑ degenerate (revision 2)"), Color::Red);
    assert_eq!(
        colour_of("⚑ near-tie (comparison): P(A) = 0.520"),
        Color::Yellow
    );
    assert!(text.contains("86% of its 4-word phrases repeat"), "{text}");
    assert!(text.contains("8 times"), "{text}");
    assert!(text.contains("label: prefers the initial"), "{text}");
    assert!(
        text.contains("│pending   DT  "),
        "flag letters in the queue:\n{text}"
    );
}

#[test]
fn p_a_just_under_a_half_reads_under_a_half_beside_its_label() {
    let (mut app, _rx) = app_with(PathBuf::from("c.toml"), 0);
    let mut record = synthetic_record(1);
    if let Some(c) = record.comparison.as_mut() {
        c.p_a = 0.499;
        c.choice = crate::data::Choice::B;
    }
    app.ws.add_record(record);
    press(&mut app, &[key('5')]);
    let text = render(&mut app, 130, 34);
    assert!(
        text.contains("Comparison: P(A) = 0.499 · A initial, B revision"),
        "{text}"
    );
    assert!(text.contains("label: prefers the revision"), "{text}");
}
