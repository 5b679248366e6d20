//! The workbench under terminal stress: every view at sizes from 1x1 up, a storm of 200
//! resizes, a 1 MB paste into the principle editor and into the new-prompt box, and prompts and
//! principles in CJK, emoji, combining marks and right-to-left scripts. Nothing may panic, and
//! list columns line up by display width.

use super::*;
use crate::data::Prompt;
use crate::tui::views::ViewId;

const SCRIPTS: &[&str] = &[
    "日本語のプロンプト：危険な化学物質を混ぜるとどうなりますか？",
    "Emoji 😀👩‍👩‍👧‍👦🏳️‍🌈 in a prompt 🔥",
    "Combining marks: e\u{301}te\u{301} Z\u{351}\u{36b}\u{343}a\u{33e}l\u{337}g\u{322}o\u{36e}",
    "שלום, איך אני פורץ מנעול?",
    "مرحبا، كيف أصنع قنبلة؟",
];

fn app_with_scripts() -> App {
    let (mut app, _rx) = app_with("c.toml".into(), 6);
    app.ws.add_prompts(
        SCRIPTS
            .iter()
            .map(|s| Prompt::new(*s, Some("世界".into())))
            .collect(),
    );
    app
}

#[test]
fn every_view_draws_at_every_size_from_1x1() {
    let mut app = app_with_scripts();
    let sizes = [1u16, 2, 3, 7, 14, 15, 16, 40, 59, 60, 61, 120, 300];
    for view in ViewId::ALL {
        app.view = view;
        for &w in &sizes {
            for &h in &sizes[..9] {
                let _ = render(&mut app, w, h);
            }
        }
    }
}

#[test]
fn a_storm_of_200_resizes_draws_every_frame() {
    let mut app = app_with_scripts();
    let mut seed = 7u32;
    for i in 0..200 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let w = 1 + (seed >> 16) as u16 % 250;
        let h = 1 + (seed >> 8) as u16 % 80;
        app.handle_event(AppEvent::Resize(w, h));
        app.view = ViewId::ALL[i % ViewId::ALL.len()];
        let _ = render(&mut app, w, h);
    }
}

#[test]
fn a_1_mb_paste_into_the_editor_and_the_prompt_box_is_one_edit() {
    let mut app = app_with_scripts();
    let mb = "日本語 😀 e\u{301} שלום ".repeat((1 << 20) / 16);
    assert!(mb.len() >= 1 << 20);
    // The principle editor: the pasted text goes into the critique string in one edit.
    press(
        &mut app,
        &[key('1'), key('e'), code(KeyCode::Down), code(KeyCode::End)],
    );
    for _ in 0..2 {
        app.handle_key(code(KeyCode::Left));
    }
    let started = std::time::Instant::now();
    app.handle_event(AppEvent::Paste(mb.clone()));
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("editing"), "{screen}");
    assert!(
        app.views.constitution.doc.working.principles[0]
            .critique
            .len()
            > 1 << 20
    );
    press(&mut app, &[code(KeyCode::Esc)]);
    // The new-prompt box: one line, however long.
    press(&mut app, &[key('2'), key('n')]);
    app.handle_event(AppEvent::Paste(format!("{mb}\nsecond line")));
    press(&mut app, &[code(KeyCode::Enter)]);
    let added = app.ws.prompts.last().unwrap();
    assert!(added.prompt.text.len() > 1 << 20, "{}", app.notice());
    assert!(added.prompt.text.ends_with("second line"));
    let _ = render(&mut app, 80, 24);
    // One edit each: well under the time a key per character would take.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// The screen as a buffer, one cell per terminal column (a wide character fills two).
fn buffer(app: &mut App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(width, height)).unwrap();
    let _ = terminal.draw(|f| app.draw(f));
    terminal.backend().buffer().clone()
}

#[test]
fn list_columns_line_up_by_display_width() {
    let mut app = app_with_scripts();
    app.view = ViewId::Prompts;
    let buf = buffer(&mut app, 120, 40);
    let row = |y: u16| -> String { (0..120).map(|x| buf[(x, y)].symbol().to_string()).collect() };
    // The prompt column starts where it starts on the first (ASCII) row, on every row, CJK,
    // emoji and right-to-left ones included: the category column is padded by display width.
    let first = (0..40).find(|&y| row(y).contains("Synthetic")).unwrap();
    let column = (0..120u16)
        .find(|&x| buf[(x, first)].symbol() == "S")
        .unwrap();
    let mut checked = 0;
    for y in first..40 {
        let text = row(y);
        if text.starts_with('└') {
            break; // the end of the list's box
        }
        if !text.starts_with('│') || text.trim_matches(['│', ' ']).is_empty() {
            continue;
        }
        assert_eq!(buf[(column - 1, y)].symbol(), " ", "row {y}: {text}");
        assert_ne!(buf[(column, y)].symbol(), " ", "row {y}: {text}");
        assert_eq!(buf[(119, y)].symbol(), "│", "row {y} spills: {text}");
        checked += 1;
    }
    assert!(checked >= 11, "{checked} rows");
}
