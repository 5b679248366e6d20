//! Key-sequence tests of the main flows: edit and save a principle, review with undo, search,
//! quitting while work runs.

use super::*;
use crate::session::ReviewState;
use crate::tui::views::ViewId;
use crate::tui::workspace::RunState;

#[test]
fn edit_a_principle_and_save_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, CONSTITUTION).unwrap();
    let (mut app, mut rx) = app_with(path.clone(), 0);
    // Open the first principle, change its id, leave the editor.
    press(&mut app, &[key('e'), code(KeyCode::End)]);
    for _ in 0..2 {
        app.handle_key(code(KeyCode::Backspace));
    }
    type_text(&mut app, "-edited\"");
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.views.constitution.is_modified());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CONSTITUTION);
    press(&mut app, &[key('s')]);
    settle(&mut app, &mut rx);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("harmfu-edited"), "{saved}");
    assert!(!app.views.constitution.is_modified());
    assert!(app.notice().starts_with("saved"), "{}", app.notice());
}

#[test]
fn an_invalid_constitution_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, CONSTITUTION).unwrap();
    let (mut app, _rx) = app_with(path.clone(), 0);
    // Duplicate, then rename the copy to clash with the original id.
    press(&mut app, &[key('d'), key('e'), code(KeyCode::End)]);
    for _ in 0.."-copy\"".len() {
        app.handle_key(code(KeyCode::Backspace));
    }
    type_text(&mut app, "\"");
    press(&mut app, &[ctrl('s')]);
    assert!(app.notice().starts_with("not saved"), "{}", app.notice());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CONSTITUTION);
}

#[test]
fn list_operations_by_key() {
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    let doc = |app: &App| app.views.constitution.doc.working.clone();
    press(&mut app, &[key('a')]);
    assert_eq!(doc(&app).principles.len(), 3);
    press(&mut app, &[key('K'), key(' ')]);
    assert!(!doc(&app).principles[0].enabled);
    assert_eq!(doc(&app).principles[0].id, "new-principle");
    press(&mut app, &[key('D')]);
    assert_eq!(doc(&app).principles.len(), 2);
}

#[test]
fn approve_reject_undo_and_counts() {
    let (mut app, mut h) = app_with_session(4);
    press(&mut app, &[key('5'), key('a'), key('r')]);
    // Shown only once durable.
    assert_eq!(app.ws.review_counts(), (0, 0, 4));
    h.settle(&mut app);
    assert_eq!(app.ws.review_counts(), (1, 1, 2));
    press(&mut app, &[key('u')]);
    h.settle(&mut app);
    assert_eq!(app.ws.review_counts(), (1, 0, 3));
    assert_eq!(app.notice(), "undone");
    // What is shown is what the log holds.
    let on_disk = crate::session::Session::open_read_only(&h.session_dir()).unwrap();
    assert_eq!(on_disk.state().counts().approved, 1);
    assert_eq!(on_disk.state().counts().rejected, 0);
    // Filter to approved: one row.
    press(&mut app, &[key('s'), key('s')]);
    assert_eq!(app.views.review.queue(&app.ws).len(), 1);
}

#[test]
fn edit_keeps_the_original_record() {
    let (mut app, mut h) = app_with_session(2);
    press(&mut app, &[key('5'), key('e')]);
    // The cursor starts at the end: clear the text with backspaces.
    for _ in 0..400 {
        app.handle_key(code(KeyCode::Backspace));
    }
    type_text(&mut app, "A better answer.");
    press(&mut app, &[ctrl('s')]);
    h.settle(&mut app);
    let id = app.views.review.queue(&app.ws)[0].clone();
    let review = app.ws.review(&id).cloned().unwrap();
    assert_eq!(review.edited.as_deref(), Some("A better answer."));
    assert!(app
        .ws
        .record(&id)
        .unwrap()
        .final_text()
        .unwrap()
        .contains("safe, general information"));
}

#[test]
fn search_filters_the_queue() {
    let (mut app, _rx) = app_with("c.toml".into(), 12);
    press(&mut app, &[key('5'), key('/')]);
    type_text(&mut app, "number 11");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert_eq!(app.views.review.queue(&app.ws).len(), 1);
}

#[test]
fn the_flag_filter_cycles_through_the_kinds() {
    let (mut app, _rx) = app_with("c.toml".into(), 12);
    // Make record 3's final revision degenerate and record 4 clean.
    let ids = app.ws.record_ids();
    for (at, flags) in [(3, "degenerate"), (4, "")] {
        let mut record = app.ws.record(&ids[at]).unwrap().clone();
        let kinds = crate::data::FlagKind::parse_list(flags).unwrap();
        record.flags = Some(
            kinds
                .into_iter()
                .map(|kind| crate::data::QualityFlag {
                    kind,
                    site: crate::data::Site::Revision(2),
                    reason: "test".into(),
                })
                .collect(),
        );
        app.ws.add_record(record);
    }
    press(&mut app, &[key('5')]);
    let mut shown = Vec::new();
    for _ in 0..crate::data::FlagKind::ALL.len() + 3 {
        press(&mut app, &[key('f')]);
        let filter = super::super::views::review::FlagFilter::label(app.views.review.filters.flag);
        shown.push((filter, app.views.review.queue(&app.ws).len()));
    }
    assert_eq!(shown[0], ("any flag", 11), "all but the clean one");
    assert_eq!(shown[1], ("degenerate", 1));
    assert_eq!(shown[shown.len() - 2], ("none", 1));
    assert_eq!(shown[shown.len() - 1], ("all", 12));
    press(&mut app, &[key('f'), key('f')]);
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("flags: degenerate"), "{screen}");
}

#[test]
fn quitting_while_running_asks_first() {
    let (mut app, _rx) = app_with("c.toml".into(), 1);
    let id = app.ws.prompts[0].prompt.id.clone();
    app.ws
        .set_state(&id, RunState::Running(crate::pipeline::Stage::Initial));
    press(&mut app, &[key('q')]);
    assert!(!app.should_quit());
    press(&mut app, &[key('n')]);
    assert!(!app.should_quit());
    press(&mut app, &[key('q'), key('y')]);
    assert!(app.should_quit());
}

#[test]
fn running_before_the_model_is_ready_queues() {
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    app.ws
        .add_prompts(vec![crate::data::Prompt::new("hello", None)]);
    press(&mut app, &[key('2'), key('r')]);
    assert_eq!(app.ws.prompts[0].state, RunState::Queued);
    assert!(app.notice().contains("model loading"), "{}", app.notice());
    app.handle_event(AppEvent::ModelReady(Err("no file".into())));
    assert_eq!(app.ws.prompts[0].state, RunState::NotRun);
}

#[test]
fn number_keys_tabs_and_mouse_switch_views() {
    let (mut app, _rx) = app_with("c.toml".into(), 3);
    press(&mut app, &[key('3')]);
    assert_eq!(app.view(), ViewId::Inspector);
    press(&mut app, &[code(KeyCode::Tab)]);
    assert_eq!(app.view(), ViewId::Comparison);
    let _ = render(&mut app, 100, 30);
    let (rect, _) = app.hits.tabs[4];
    app.handle_mouse(ratatui::crossterm::event::MouseEvent {
        kind: ratatui::crossterm::event::MouseEventKind::Down(
            ratatui::crossterm::event::MouseButton::Left,
        ),
        column: rect.x + 1,
        row: rect.y,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.view(), ViewId::Review);
}

#[test]
fn review_state_survives_in_counts_after_approve() {
    let (mut app, mut h) = app_with_session(3);
    press(&mut app, &[key('5'), key('a'), key('a'), key('a')]);
    h.settle(&mut app);
    assert_eq!(app.ws.review_counts(), (3, 0, 0));
    let ids = app.ws.record_ids();
    assert!(ids
        .iter()
        .all(|id| app.ws.review_state(id) == ReviewState::Approved));
}

#[test]
fn bench_draw_reports_both_views() {
    let report = crate::tui::bench_draw(200, 100, 30, 5);
    assert_eq!(report.views.len(), 2);
    assert!(report
        .views
        .iter()
        .all(|(_, median, worst)| median <= worst));
}

/// `cargo test --lib bench_draw_is_flat -- --ignored --nocapture` prints frame times at 1k and 50k records.
#[test]
#[ignore]
fn bench_draw_is_flat_in_the_record_count() {
    for n in [1_000, 50_000] {
        println!("{}", crate::tui::bench_draw(n, 120, 40, 50));
    }
}

#[test]
fn ctrl_u_clears_a_text_input_before_typing_a_new_destination() {
    let (mut app, _rx) = app_with("c.toml".into(), 0);
    press(&mut app, &[key('x'), key('o'), ctrl('u')]);
    type_text(&mut app, "elsewhere/out");
    press(&mut app, &[code(KeyCode::Enter)]);
    let Some(crate::tui::views::popups::Popup::Export(dialog)) = app.popups.last() else {
        panic!("the export dialog should still be open");
    };
    assert_eq!(
        dialog.options.out,
        std::path::Path::new(".").join("elsewhere/out")
    );
    // A typed destination cannot leave the session's place.
    press(&mut app, &[key('o'), ctrl('u')]);
    type_text(&mut app, "/elsewhere/out");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(
        app.notice()
            .starts_with("destination not changed: `/elsewhere/out` is not inside"),
        "{}",
        app.notice()
    );
    let Some(crate::tui::views::popups::Popup::Export(dialog)) = app.popups.last() else {
        panic!("the export dialog should still be open");
    };
    assert_eq!(
        dialog.options.out,
        std::path::Path::new(".").join("elsewhere/out")
    );
}

#[test]
fn a_review_with_no_session_is_not_shown_and_says_why() {
    let (mut app, mut rx) = app_with("c.toml".into(), 2);
    press(&mut app, &[key('5'), key('a')]);
    settle(&mut app, &mut rx);
    assert_eq!(app.ws.review_counts(), (0, 0, 2));
    assert!(
        app.notice()
            .starts_with("review not saved: no session is open"),
        "{}",
        app.notice()
    );
}

#[test]
fn a_session_another_program_writes_opens_read_only_and_refuses_reviews() {
    let (app, h) = app_with_session(2);
    // The first app holds the session lock; a second one views it read-only.
    let (tx, mut rx) = unbounded_channel();
    let link = SessionLink::open_or_new(&h.session_dir()).unwrap();
    let mut second = App::new(
        super::super::app::Paths::default(),
        CONSTITUTION.to_string(),
        Vec::new(),
        link,
        tx,
    );
    assert!(
        second.notice().starts_with("read-only: session "),
        "{}",
        second.notice()
    );
    assert!(second
        .notice()
        .contains(&format!("process {}", std::process::id())));
    assert_eq!(second.ws.record_count(), 2);
    press(&mut second, &[key('5'), key('a')]);
    settle(&mut second, &mut rx);
    assert_eq!(second.ws.review_counts(), (0, 0, 2));
    assert!(
        second.notice().starts_with("review not saved: session "),
        "{}",
        second.notice()
    );
    drop(app);
}
