//! The binding tables of the popups (export dialog, model picker, text inputs, confirmation,
//! help); the
//! views' tables are in `tables.rs`, which also holds the small constructors used here.

use ratatui::crossterm::event::KeyCode;

use super::tables::{b, code, ctrl, k, NAV};
use super::{Action::*, Binding};

pub(super) static EXPORT: &[Binding] = &[
    b(&[k('s')], ToggleSft, "s", "SFT file on or off", true),
    b(
        &[k('p')],
        TogglePreferences,
        "p",
        "preference file on or off",
        true,
    ),
    b(
        &[k('v')],
        ToggleRevisionPairs,
        "v",
        "revision-pairs file on or off",
        false,
    ),
    b(
        &[k('f')],
        ToggleForce,
        "f",
        "overwrite existing files",
        false,
    ),
    b(
        &[k('o')],
        EditDestination,
        "o",
        "change the destination folder",
        true,
    ),
    b(
        &[code(KeyCode::Enter)],
        Confirm,
        "Enter",
        "write the files",
        true,
    ),
    b(&[code(KeyCode::Esc)], Back, "Esc", "close", true),
];

pub(super) static TEXT_INPUT: &[Binding] = &[
    b(&[code(KeyCode::Enter)], Confirm, "Enter", "accept", true),
    b(&[code(KeyCode::Esc)], Back, "Esc", "cancel", true),
    b(
        &[ctrl('u')],
        ClearToStart,
        "^U",
        "delete to the start of the line",
        false,
    ),
];

pub(super) static MULTI_LINE_INPUT: &[Binding] = &[
    b(
        &[ctrl('s')],
        Confirm,
        "^S",
        "accept (Enter adds a line)",
        true,
    ),
    b(&[code(KeyCode::Esc)], Back, "Esc", "cancel", true),
    b(
        &[ctrl('u')],
        ClearToStart,
        "^U",
        "delete to the start of the line",
        false,
    ),
];

pub(super) static CONFIRM: &[Binding] = &[
    b(&[k('y')], Yes, "y", "yes", true),
    b(&[k('n'), code(KeyCode::Esc)], No, "n", "no", true),
];

pub(super) static HELP: &[Binding] = &[
    NAV[0],
    NAV[1],
    b(
        &[code(KeyCode::Esc), k('?'), k('q')],
        Back,
        "Esc",
        "close help",
        true,
    ),
];

pub(super) static MODEL_PICKER: &[Binding] = &[
    NAV[0],
    NAV[1],
    b(
        &[code(KeyCode::Enter)],
        Confirm,
        "Enter",
        "load the selected model",
        true,
    ),
    b(&[code(KeyCode::Esc)], Back, "Esc", "close", true),
];
