//! Every key binding of the workbench, one table per context. The bottom key bar and the `?`
//! help popup are generated from these same tables, so what is shown is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Something a key asks the app to do. Which actions mean something depends on the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    View(u8),
    NextView,
    PrevView,
    OpenExport,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    // Constitution editor.
    Edit,
    Add,
    Duplicate,
    Delete,
    ToggleEnabled,
    MoveUp,
    MoveDown,
    Save,
    SaveAs,
    TryPrinciple,
    // Prompts and runs.
    NewPrompt,
    Import,
    Mark,
    RunSelected,
    RunAll,
    Cancel,
    CancelAll,
    // Inspector and comparison.
    CycleDiff,
    NextRecord,
    PrevRecord,
    Agree,
    Flip,
    // Review.
    Approve,
    Reject,
    EditText,
    Undo,
    Search,
    FilterState,
    FilterPrinciple,
    FilterEvasive,
    Compare,
    // Export dialog.
    ToggleSft,
    TogglePreferences,
    ToggleRevisionPairs,
    ToggleForce,
    EditDestination,
    Confirm,
    // Confirmation popups.
    Yes,
    No,
}

/// One key (code plus the modifiers that must be held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

/// A binding: the keys, the action, a short label for the key bar and a sentence for help.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub label: &'static str,
    pub help: &'static str,
    /// Shown in the bottom key bar (all bindings are shown in help).
    pub bar: bool,
}

const fn b(
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

/// Where the keyboard focus is; each has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyContext {
    Global,
    Constitution,
    ConstitutionEditing,
    Prompts,
    Inspector,
    Comparison,
    Review,
    Export,
    TextInput,
    MultiLineInput,
    Confirm,
    Help,
}

use Action::*;

const NAV: [Binding; 6] = [
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

static GLOBAL: &[Binding] = &[
    b(&[k('?')], Help, "?", "show this help", true),
    b(&[k('1')], View(1), "1", "constitution editor", false),
    b(&[k('2')], View(2), "2", "prompts and runs", false),
    b(&[k('3')], View(3), "3", "revision inspector", false),
    b(&[k('4')], View(4), "4", "comparison view", false),
    b(&[k('5')], View(5), "5", "review queue", false),
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
        &[code(KeyCode::Enter)],
        Open,
        "Enter",
        "inspect the record",
        false,
    ),
    b(&[k('c')], Compare, "c", "open the comparison", false),
];

static EXPORT: &[Binding] = &[
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

static TEXT_INPUT: &[Binding] = &[
    b(&[code(KeyCode::Enter)], Confirm, "Enter", "accept", true),
    b(&[code(KeyCode::Esc)], Back, "Esc", "cancel", true),
];

static MULTI_LINE_INPUT: &[Binding] = &[
    b(
        &[ctrl('s')],
        Confirm,
        "^S",
        "accept (Enter adds a line)",
        true,
    ),
    b(&[code(KeyCode::Esc)], Back, "Esc", "cancel", true),
];

static CONFIRM: &[Binding] = &[
    b(&[k('y')], Yes, "y", "yes", true),
    b(&[k('n'), code(KeyCode::Esc)], No, "n", "no", true),
];

static HELP: &[Binding] = &[
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
        KeyContext::Export => EXPORT,
        KeyContext::TextInput => TEXT_INPUT,
        KeyContext::MultiLineInput => MULTI_LINE_INPUT,
        KeyContext::Confirm => CONFIRM,
        KeyContext::Help => HELP,
    }
}

/// Whether the global table also applies in this context (not inside popups and editors).
pub fn uses_global(ctx: KeyContext) -> bool {
    matches!(
        ctx,
        KeyContext::Constitution
            | KeyContext::Prompts
            | KeyContext::Inspector
            | KeyContext::Comparison
            | KeyContext::Review
    )
}

fn matches(key: &Key, event: &KeyEvent) -> bool {
    if key.code != event.code {
        return false;
    }
    // Shift is implied by the character itself ('G', '?'), so it is not compared.
    let held = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    held == key.mods
}

/// The action a key event means in a context, trying the context's table first.
pub fn lookup(ctx: KeyContext, event: &KeyEvent) -> Option<Action> {
    let global: &[Binding] = if uses_global(ctx) { GLOBAL } else { &[] };
    bindings(ctx)
        .iter()
        .chain(global.iter())
        .find(|binding| binding.keys.iter().any(|key| matches(key, event)))
        .map(|binding| binding.action)
}

/// The name a key is shown with.
pub fn key_name(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => format!("{other:?}"),
    };
    if key.mods.contains(KeyModifiers::CONTROL) {
        format!("^{}", base.to_uppercase())
    } else {
        base
    }
}

/// The bottom key bar of a context: its bar bindings, then the global ones where they apply.
pub fn key_bar(ctx: KeyContext) -> Line<'static> {
    let global: &[Binding] = if uses_global(ctx) { GLOBAL } else { &[] };
    let key_style = Style::default().fg(Color::Black).bg(Color::Gray);
    let mut spans = Vec::new();
    for binding in bindings(ctx).iter().chain(global.iter()).filter(|b| b.bar) {
        spans.push(Span::styled(format!(" {} ", binding.label), key_style));
        spans.push(Span::raw(format!(" {}  ", short_help(binding.action))));
    }
    Line::from(spans)
}

/// The one or two words an action is shown with in the key bar.
fn short_help(action: Action) -> &'static str {
    match action {
        Quit => "quit",
        Help => "help",
        OpenExport => "export",
        Open => "inspect",
        Back => "back",
        Edit | EditText => "edit",
        Add => "add",
        ToggleEnabled => "on/off",
        Save => "save",
        TryPrinciple => "try",
        NewPrompt => "new",
        Import => "import",
        RunSelected => "run",
        RunAll => "run all",
        Cancel => "cancel",
        CycleDiff => "diff",
        NextRecord => "next",
        PrevRecord => "prev",
        Agree => "agree",
        Flip => "flip",
        Approve => "approve",
        Reject => "reject",
        Undo => "undo",
        Search => "search",
        ToggleSft => "SFT",
        TogglePreferences => "prefs",
        EditDestination => "folder",
        Confirm => "ok",
        Yes => "yes",
        No => "no",
        _ => "",
    }
}

/// Help lines of a context: every binding with all its keys, then the global ones.
pub fn help_lines(ctx: KeyContext) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut section = |title: &str, table: &[Binding]| {
        lines.push(Line::from(Span::styled(
            title.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        )));
        for binding in table {
            let keys: Vec<String> = binding.keys.iter().map(key_name).collect();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<14}", keys.join(" ")),
                    Style::default().fg(Color::Yellow),
                ),
                Span::raw(binding.help.to_string()),
            ]));
        }
        lines.push(Line::default());
    };
    section("This view", bindings(ctx));
    if uses_global(ctx) {
        section("Everywhere", GLOBAL);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn view_table_wins_over_global() {
        assert_eq!(lookup(KeyContext::Review, &key('a')), Some(Approve));
        assert_eq!(lookup(KeyContext::Constitution, &key('a')), Some(Add));
        assert_eq!(lookup(KeyContext::Review, &key('q')), Some(Quit));
        assert_eq!(lookup(KeyContext::TextInput, &key('q')), None);
    }

    #[test]
    fn shifted_letters_and_ctrl_are_distinct() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(KeyContext::Prompts, &shifted), Some(Bottom));
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(lookup(KeyContext::ConstitutionEditing, &ctrl_s), Some(Save));
        assert_eq!(lookup(KeyContext::ConstitutionEditing, &key('s')), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        let contexts = [
            KeyContext::Constitution,
            KeyContext::Prompts,
            KeyContext::Inspector,
            KeyContext::Comparison,
            KeyContext::Review,
        ];
        for ctx in contexts {
            let mut seen: Vec<Key> = Vec::new();
            for binding in bindings(ctx) {
                for key in binding.keys {
                    assert!(!seen.contains(key), "{ctx:?}: {key:?} bound twice");
                    seen.push(*key);
                }
            }
        }
    }

    #[test]
    fn bar_and_help_come_from_the_table() {
        let bar: String = key_bar(KeyContext::Review)
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert!(bar.contains(" a ") && bar.contains("approve"));
        let help: Vec<String> = help_lines(KeyContext::Review)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(help.iter().any(|l| l.contains("undo the last decision")));
    }
}
