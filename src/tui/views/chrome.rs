//! What surrounds every view: the tab line, the status line (model, progress, tokens per
//! second, the latest notice), the key bar generated from the key map, and the message shown
//! when the terminal is too small.

use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{ViewId, Views};
use crate::tui::app::{App, MIN_HEIGHT, MIN_WIDTH};
use crate::tui::keymap::{self, KeyContext};
use crate::tui::parts::models::ModelState;

/// Draws the tabs; returns each tab's area for mouse clicks.
pub fn draw_tabs(
    frame: &mut Frame,
    area: Rect,
    current: ViewId,
    views: &Views,
) -> Vec<(Rect, ViewId)> {
    let mut spans = Vec::new();
    let mut hits = Vec::new();
    let mut x = area.x;
    let full: usize = ViewId::ALL.iter().map(|v| v.title().width() + 6).sum();
    let short = full > usize::from(area.width);
    for (i, view) in ViewId::ALL.iter().enumerate() {
        let marker = if *view == ViewId::Constitution && views.constitution.is_modified() {
            "*"
        } else {
            ""
        };
        let title = if short {
            view.short_title()
        } else {
            view.title()
        };
        let label = format!(" {} {}{} ", i + 1, title, marker);
        let width = label.width() as u16;
        let style = if *view == current {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(Color::Gray)
        };
        hits.push((
            Rect::new(x, area.y, width.min(area.right().saturating_sub(x)), 1),
            *view,
        ));
        x = x.saturating_add(width + 1);
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    hits
}

/// Draws the status line.
pub fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let blind = matches!(
        app.popups.last(),
        Some(crate::tui::views::popups::Popup::Blind(_))
    );
    let model = match &app.models.state {
        ModelState::Loading(lines) => Span::styled(
            format!(
                "model loading: {}",
                lines.last().map_or("starting", String::as_str)
            ),
            Style::default().fg(Color::Yellow),
        ),
        ModelState::Ready(_) if blind => Span::styled(
            "model hidden while judging blind",
            Style::default().fg(Color::Gray),
        ),
        ModelState::Ready(models) => Span::styled(
            format!("model {}", models.policy.info().id),
            Style::default().fg(Color::Green),
        ),
        ModelState::Failed(_) => Span::styled("model failed", Style::default().fg(Color::Red)),
    };
    let ws = &app.ws;
    let total = ws.prompts.len();
    let done = ws.record_count();
    let counts = ws.counts();
    let (running, queued) = (counts.running, counts.queued);
    let mut spans = vec![model, Span::raw(format!(" │ {done}/{total} records"))];
    if running + queued > 0 {
        spans.push(Span::styled(
            format!(
                " │ {running} running, {queued} queued │ {:.1} tok/s",
                ws.tokens_per_second
            ),
            Style::default().fg(Color::Cyan),
        ));
    }
    if !app.notice.is_empty() {
        spans.push(Span::raw(format!(" │ {}", app.notice)));
    }
    let style = Style::default().bg(Color::DarkGray).fg(Color::White);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}

/// Draws the key bar of a context.
pub fn draw_key_bar(frame: &mut Frame, area: Rect, ctx: KeyContext) {
    frame.render_widget(Paragraph::new(keymap::key_bar(ctx)), area);
}

/// The message shown instead of the workbench when the terminal is too small.
pub fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "Terminal too small: {}x{}.\nThe workbench needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\nEnlarge the window, or press q to quit.",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}
