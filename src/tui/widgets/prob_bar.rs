//! A horizontal bar showing P(A) of a comparison: the A share filled from the left.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// A line `A ██████░░░░ B  0.62` whose bar is `width` cells, for probability `p_a` in [0, 1].
pub fn prob_bar(p_a: f64, width: u16) -> Line<'static> {
    let p = if p_a.is_finite() {
        p_a.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let cells = usize::from(width.max(1));
    let filled = ((p * cells as f64).round() as usize).min(cells);
    let color = if p >= 0.5 {
        Color::Cyan
    } else {
        Color::Magenta
    };
    Line::from(vec![
        Span::raw("A "),
        Span::styled("█".repeat(filled), Style::default().fg(color)),
        Span::styled(
            "░".repeat(cells - filled),
            Style::default().fg(Color::DarkGray),
        ),
        Span::raw(format!(" B  {p:.2}")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fills_in_proportion() {
        let bar = text(&prob_bar(0.75, 8));
        assert_eq!(bar.matches('█').count(), 6);
        assert_eq!(bar.matches('░').count(), 2);
        assert!(bar.ends_with("0.75"));
    }

    #[test]
    fn clamps_out_of_range_and_nan() {
        assert_eq!(text(&prob_bar(1.7, 4)).matches('█').count(), 4);
        assert_eq!(text(&prob_bar(f64::NAN, 4)).matches('█').count(), 2);
    }
}
