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
    OpenModelPicker,
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
    ToggleCompare,
    MoreConcurrency,
    LessConcurrency,
    // Inspector and comparison.
    CycleDiff,
    NextRecord,
    PrevRecord,
    Agree,
    Flip,
    StartBlind,
    // Blind judging.
    PickA,
    PickB,
    PickTie,
    Skip,
    // Review.
    Approve,
    Reject,
    EditText,
    Undo,
    Search,
    FilterState,
    FilterPrinciple,
    FilterEvasive,
    FilterFlag,
    Compare,
    // Insights.
    CycleMetric,
    StartAb,
    // Export dialog.
    ToggleSft,
    TogglePreferences,
    ToggleRevisionPairs,
    ToggleForce,
    EditDestination,
    Confirm,
    // Text inputs.
    ClearToStart,
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
    Insights,
    Judge,
    Arena,
    Export,
    TextInput,
    MultiLineInput,
    Confirm,
    Help,
    ModelPicker,
    Blind,
}

mod popup_tables;
mod tables;

pub use tables::bindings;
use tables::GLOBAL;
use Action::*;

/// Whether the global table also applies in this context (not inside popups and editors).
pub fn uses_global(ctx: KeyContext) -> bool {
    matches!(
        ctx,
        KeyContext::Constitution
            | KeyContext::Prompts
            | KeyContext::Inspector
            | KeyContext::Comparison
            | KeyContext::Review
            | KeyContext::Insights
            | KeyContext::Judge
            | KeyContext::Arena
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
        OpenModelPicker => "model",
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
        StartBlind => "blind",
        PickA => "A better",
        PickB => "B better",
        PickTie => "tie",
        Skip => "skip",
        Approve => "approve",
        Reject => "reject",
        Undo => "undo",
        Search => "search",
        CycleMetric => "metric",
        StartAb => "A/B",
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
