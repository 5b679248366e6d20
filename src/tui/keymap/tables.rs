//! The binding tables, one per key context. Edit bindings here: the key bar and help follow.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::popup_tables::{CONFIRM, EXPORT, HELP, MODEL_PICKER, MULTI_LINE_INPUT, TEXT_INPUT};
use super::{Action, Binding, Key, KeyContext};

pub(super) const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
pub(super) const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
pub(super) const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

pub(super) const fn b(
    keys: &'static [Key],
    action: Action,
    label: &'static str,
    help: &'static str,
    bar: bool,
) -> Binding {
    Binding {
        keys,
        action,
        label,
        help,
        bar,
    }
}

use Action::*;

pub(super) const NAV: [Binding; 6] = [
    b(&[code(KeyCode::Up), k('k')], Up, "↑/k", "move up", false),
    b(
        &[code(KeyCode::Down), k('j')],
        Down,
        "↓/j",
        "move down",
        false,
    ),
    b(
        &[code(KeyCode::Home), k('g')],
        Top,
        "g",
        "go to the top",
        false,
    ),
    b(
        &[code(KeyCode::End), k('G')],
        Bottom,
        "G",
        "go to the bottom",
        false,
    ),
    b(&[code(KeyCode::PageUp)], PageUp, "PgUp", "page up", false),
    b(
        &[code(KeyCode::PageDown)],
        PageDown,
        "PgDn",
        "page down",
        false,
    ),
];

pub(super) static GLOBAL: &[Binding] = &[
    b(&[k('?')], Help, "?", "show this help", true),
    b(&[k('1')], View(1), "1", "constitution editor", false),
    b(&[k('2')], View(2), "2", "prompts and runs", false),
    b(&[k('3')], View(3), "3", "revision inspector", false),
    b(&[k('4')], View(4), "4", "comparison view", false),
    b(&[k('5')], View(5), "5", "review queue", false),
    b(&[k('6')], View(6), "6", "insights", false),
    b(
        &[k('7')],
        View(7),
        "7",
        "the judge: accuracy and calibration on known answers",
        false,
    ),
    b(
        &[k('8')],
        View(8),
        "8",
        "the arena: Elo of models and constitutions",
        false,
    ),
    b(&[code(KeyCode::Tab)], NextView, "Tab", "next view", false),
    b(
        &[code(KeyCode::BackTab)],
        PrevView,
        "S-Tab",
        "previous view",
        false,
    ),
    b(&[k('x')], OpenExport, "x", "export dialog", true),
    b(
        &[k('m')],
        OpenModelPicker,
        "m",
        "choose the model (cai.toml profiles, servers)",
        false,
    ),
    b(
        &[ctrl('c')],
        CancelAll,
        "^C",
        "cancel running prompts (or quit when idle)",
        false,
    ),
    b(&[k('q')], Quit, "q", "quit", true),
];

static CONSTITUTION: &[Binding] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    b(
        &[code(KeyCode::PageUp)],
        PageUp,
        "PgUp",
        "scroll the TOML up",
        false,
    ),
    b(
        &[code(KeyCode::PageDown)],
        PageDown,
        "PgDn",
        "scroll the TOML down",
        false,
    ),
    b(
        &[code(KeyCode::Enter), k('e')],
        Edit,
        "e",
        "edit the selected principle",
        true,
    ),
    b(
        &[k('a')],
        Add,
        "a",
        "add a principle of the selected kind",
        true,
    ),
    b(
        &[k('d')],
        Duplicate,
        "d",
        "duplicate the selected principle",
        false,
    ),
    b(
        &[code(KeyCode::Delete), k('D')],
        Delete,
        "D",
        "delete the selected principle",
        false,
    ),
    b(&[k(' ')], ToggleEnabled, "Space", "enable or disable", true),
    b(&[k('K')], MoveUp, "K", "move the principle up", false),
    b(&[k('J')], MoveDown, "J", "move the principle down", false),
    b(
        &[ctrl('s'), k('s')],
        Save,
        "s",
        "save (refused while the file is invalid)",
        true,
    ),
    b(&[k('S')], SaveAs, "S", "save as another file", false),
    b(
        &[k('t')],
        TryPrinciple,
        "t",
        "try the principle on the selected prompt",
        true,
    ),
    b(
        &[code(KeyCode::Esc)],
        Cancel,
        "Esc",
        "cancel the running try",
        false,
    ),
];

static CONSTITUTION_EDITING: &[Binding] = &[
    b(
        &[code(KeyCode::Esc)],
        Back,
        "Esc",
        "stop editing (changes are kept)",
        true,
    ),
    b(&[ctrl('s')], Save, "^S", "save the file", true),
];

static PROMPTS: &[Binding] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    NAV[4],
    NAV[5],
    b(&[k('n')], NewPrompt, "n", "type a new prompt", true),
    b(&[k('i')], Import, "i", "import a prompt file", true),
    b(&[k(' ')], Mark, "Space", "mark or unmark for a run", false),
    b(
        &[k('r')],
        RunSelected,
        "r",
        "run the marked prompts (or the selected one)",
        true,
    ),
    b(
        &[k('R')],
        RunAll,
        "R",
        "run every prompt not yet done",
        true,
    ),
    b(
        &[code(KeyCode::Esc), k('c')],
        Cancel,
        "Esc",
        "cancel the selected prompt",
        true,
    ),
    b(
        &[code(KeyCode::Enter)],
        Open,
        "Enter",
        "inspect the selected record",
        true,
    ),
    b(
        &[k('f')],
        ToggleCompare,
        "f",
        "comparisons (AI feedback) on or off for the next run",
        false,
    ),
    b(
        &[k('+'), k('=')],
        MoreConcurrency,
        "+",
        "more prompts at once in the next run",
        false,
    ),
    b(
        &[k('-')],
        LessConcurrency,
        "-",
        "fewer prompts at once in the next run",
        false,
    ),
];

static INSPECTOR: &[Binding] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    NAV[4],
    NAV[5],
    b(
        &[k('d')],
        CycleDiff,
        "d",
        "diff: off, each round vs previous, initial vs final",
        true,
    ),
    b(
        &[k('n'), code(KeyCode::Right), k('l')],
        NextRecord,
        "n",
        "next record",
        true,
    ),
    b(
        &[k('p'), code(KeyCode::Left), k('h')],
        PrevRecord,
        "p",
        "previous record",
        true,
    ),
    b(&[k('c')], Compare, "c", "open the comparison", false),
    b(&[code(KeyCode::Esc)], Back, "Esc", "back", false),
];

static COMPARISON: &[Binding] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    NAV[4],
    NAV[5],
    b(&[k('a')], Agree, "a", "agree with the feedback label", true),
    b(&[k('f')], Flip, "f", "flip the feedback label", true),
    b(
        &[k('B')],
        StartBlind,
        "B",
        "judge blind: each compared pair in random positions, no label, model or source shown",
        true,
    ),
    b(
        &[k('n'), code(KeyCode::Right), k('l')],
        NextRecord,
        "n",
        "next record",
        true,
    ),
    b(
        &[k('p'), code(KeyCode::Left), k('h')],
        PrevRecord,
        "p",
        "previous record",
        true,
    ),
    b(&[code(KeyCode::Esc)], Back, "Esc", "back", false),
];

static BLIND: &[Binding] = &[
    b(&[k('a')], PickA, "a", "(A) is the better answer", true),
    b(&[k('b')], PickB, "b", "(B) is the better answer", true),
    b(&[k('t')], PickTie, "t", "neither is better: a tie", true),
    b(&[k('s')], Skip, "s", "skip this pair for now", true),
    b(
        &[code(KeyCode::Esc), k('q')],
        Back,
        "Esc",
        "stop judging",
        true,
    ),
];

static REVIEW: &[Binding] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    NAV[4],
    NAV[5],
    b(&[k('a')], Approve, "a", "approve", true),
    b(&[k('r')], Reject, "r", "reject", true),
    b(
        &[k('e')],
        EditText,
        "e",
        "edit the text to export (the original is kept)",
        true,
    ),
    b(&[k('u')], Undo, "u", "undo the last decision", true),
    b(&[k('/')], Search, "/", "search prompts and responses", true),
    b(&[k('s')], FilterState, "s", "filter by state", false),
    b(
        &[k('p')],
        FilterPrinciple,
        "p",
        "filter by principle",
        false,
    ),
    b(
        &[k('v')],
        FilterEvasive,
        "v",
        "only evasive responses",
        false,
    ),
    b(
        &[k('f')],
        FilterFlag,
        "f",
        "filter by quality flag: any, each kind, none",
        false,
    ),
    b(
        &[code(KeyCode::Enter)],
        Open,
        "Enter",
        "inspect the record",
        false,
    ),
    b(&[k('c')], Compare, "c", "open the comparison", false),
];

static JUDGE: &[Binding] = &[
    b(
        &[k('c')],
        CycleMetric,
        "c",
        "next configuration for the reliability diagram",
        true,
    ),
    b(&[k('n')], NextRecord, "n", "next known-answer set", true),
    b(
        &[k('B')],
        StartBlind,
        "B",
        "judge this session's pairs blind",
        true,
    ),
];

static ARENA: &[Binding] = &[
    b(&[k('n')], NextRecord, "n", "next prompt's answers", true),
    b(
        &[k('p')],
        PrevRecord,
        "p",
        "previous prompt's answers",
        true,
    ),
    b(
        &[k('B')],
        StartBlind,
        "B",
        "judge the arena's pairs blind",
        true,
    ),
];

static INSIGHTS: &[Binding] = &[
    b(
        &[k('m')],
        CycleMetric,
        "m",
        "next statistic for the principle bars",
        true,
    ),
    b(
        &[k('b')],
        StartAb,
        "b",
        "A/B: this constitution against another file",
        true,
    ),
    b(
        &[code(KeyCode::Esc)],
        Cancel,
        "Esc",
        "cancel the running A/B",
        false,
    ),
];

/// The bindings of a context (without the global ones).
pub fn bindings(ctx: KeyContext) -> &'static [Binding] {
    match ctx {
        KeyContext::Global => GLOBAL,
        KeyContext::Constitution => CONSTITUTION,
        KeyContext::ConstitutionEditing => CONSTITUTION_EDITING,
        KeyContext::Prompts => PROMPTS,
        KeyContext::Inspector => INSPECTOR,
        KeyContext::Comparison => COMPARISON,
        KeyContext::Review => REVIEW,
        KeyContext::Insights => INSIGHTS,
        KeyContext::Judge => JUDGE,
        KeyContext::Arena => ARENA,
        KeyContext::Export => EXPORT,
        KeyContext::TextInput => TEXT_INPUT,
        KeyContext::MultiLineInput => MULTI_LINE_INPUT,
        KeyContext::Confirm => CONFIRM,
        KeyContext::Help => HELP,
        KeyContext::ModelPicker => MODEL_PICKER,
        KeyContext::Blind => BLIND,
    }
}
