//! The scrolled row lists of the prompts and review views: the visible rows, the selected one
//! reversed, or a message when there is nothing to show.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws `rows` (already cut to the visible window) in `area`. `selected` is the index within
/// `rows` of the selected row, if it is visible; `empty` is shown when there are no rows.
pub fn draw_rows(
    frame: &mut Frame,
    area: Rect,
    mut rows: Vec<Line<'_>>,
    selected: Option<usize>,
    empty: &str,
) {
    if rows.is_empty() {
        frame.render_widget(Paragraph::new(empty.to_string()), area);
        return;
    }
    if let Some(line) = selected.and_then(|i| rows.get_mut(i)) {
        let styled = std::mem::take(line).style(Style::default().add_modifier(Modifier::REVERSED));
        *line = styled;
    }
    frame.render_widget(Paragraph::new(rows), area);
}
