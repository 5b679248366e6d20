//! Snapshots of every view, the popups and the too-small message.

use std::path::PathBuf;

use super::*;
use crate::data::Prompt;
use crate::pipeline::{PipelineEvent, Stage};
use crate::tui::views::ViewId;

fn app(records: usize) -> App {
    app_with(PathBuf::from("constitution.toml"), records).0
}

#[test]
fn constitution_view() {
    let mut app = app(0);
    insta::assert_snapshot!(render(&mut app, 100, 30));
}

#[test]
fn constitution_view_editing_with_an_error() {
    let mut app = app(0);
    press(
        &mut app,
        &[key('e'), code(KeyCode::Down), code(KeyCode::End)],
    );
    type_text(&mut app, " oops");
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("fragment 2:"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn prompts_view_streaming() {
    let mut app = app(2);
    let prompt = Prompt::new("Tell me a secret about chemistry", Some("science".into()));
    let id = prompt.id.clone();
    app.ws.add_prompts(vec![prompt]);
    app.handle_event(AppEvent::Pipeline(PipelineEvent::Started {
        prompt_id: id.clone(),
    }));
    for piece in ["Chemistry ", "is the stu", "dy of mat"] {
        app.handle_event(AppEvent::Pipeline(PipelineEvent::Token {
            prompt_id: id.clone(),
            stage: Stage::Initial,
            text: piece.into(),
        }));
    }
    press(&mut app, &[key('2'), key('G')]);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("Chemistry is the"), "{screen}");
    assert!(
        !screen.contains("dy of mat"),
        "uncommitted words must not show: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn inspector_view_plain_and_diffs() {
    let mut app = app(3);
    app.view = ViewId::Inspector;
    insta::assert_snapshot!("inspector_plain", render(&mut app, 100, 30));
    // The diff views keep the diff's marks: [-deleted-] and {+inserted+} words.
    press(&mut app, &[key('d')]);
    let screen = render_diff_marked(&mut app, 100, 30);
    assert!(screen.contains("[-") && screen.contains("{+"), "{screen}");
    insta::assert_snapshot!("inspector_rounds_diff", screen);
    press(&mut app, &[key('d')]);
    insta::assert_snapshot!(
        "inspector_initial_final",
        render_diff_marked(&mut app, 100, 30)
    );
}

#[test]
fn comparison_view() {
    let mut app = app(3);
    app.view = ViewId::Comparison;
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("█"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn review_view() {
    let (mut app, mut h) = app_with_session(12);
    app.view = ViewId::Review;
    press(&mut app, &[key('a'), key('r')]);
    h.settle(&mut app);
    insta::assert_snapshot!(render(&mut app, 100, 30));
}

#[test]
fn export_dialog_and_help() {
    let mut app = app(3);
    app.view = ViewId::Review;
    press(&mut app, &[key('x')]);
    insta::assert_snapshot!("export_dialog", render(&mut app, 100, 30));
    press(&mut app, &[code(KeyCode::Esc), key('?')]);
    insta::assert_snapshot!("help_review", render(&mut app, 100, 40));
}

#[test]
fn model_picker_lists_the_profiles() {
    let mut app = app(0);
    let profiles = crate::model::profiles::Profiles::parse(
        "[models.small]\npath = \"models/small.gguf\"\n\n[models.farm]\nendpoints = [\"http://gpu1:8000/v1\", \"http://gpu2:8000/v1\"]\nserved_model = \"llama-8b\"\n",
        std::path::Path::new("cai.toml"),
    )
    .unwrap();
    let started = crate::model::profiles::ModelPlan::default();
    app.models.choices = crate::model::choices::choices(&started, &profiles);
    press(&mut app, &[key('m'), code(KeyCode::Down)]);
    insta::assert_snapshot!(render(&mut app, 100, 20));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.popups.is_empty(), "Esc closes the picker");
}

#[test]
fn too_small_terminal_shows_a_message() {
    let mut app = app(3);
    let screen = render(&mut app, 40, 10);
    assert!(screen.contains("too small"), "{screen}");
    for (w, h) in [(1, 1), (0, 0), (59, 15), (60, 14)] {
        let _ = render(&mut app, w, h);
    }
}

#[test]
fn every_view_draws_at_minimum_and_large_sizes() {
    let mut app = app(5);
    for view in ViewId::ALL {
        app.view = view;
        for (w, h) in [(60, 15), (61, 16), (200, 60)] {
            let screen = render(&mut app, w, h);
            let title = if w < 80 {
                view.short_title()
            } else {
                view.title()
            };
            assert!(screen.contains(title), "{view:?} at {w}x{h}:\n{screen}");
        }
    }
}
