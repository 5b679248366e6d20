//! The model picker (`m`): the models the workbench can run, as `cai.toml` names them (plus
//! the default model and the choice it was opened with); picking one loads it, in process or
//! by connecting to its servers, for the runs that follow.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState};
use ratatui::Frame;

use super::popups::centered;
use super::Command;
use crate::model::choices::ModelChoice;
use crate::model::profiles::ModelSpec;
use crate::tui::keymap::Action;

/// The picker popup.
pub struct ModelPicker {
    pub choices: Vec<ModelChoice>,
    pub selected: usize,
    pub closed: bool,
}

impl ModelPicker {
    pub fn new(choices: Vec<ModelChoice>) -> ModelPicker {
        ModelPicker {
            choices,
            selected: 0,
            closed: false,
        }
    }

    /// Moves, picks or closes.
    pub fn on_action(&mut self, action: Option<Action>) -> Command {
        let last = self.choices.len().saturating_sub(1);
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::Back) => self.closed = true,
            Some(Action::Confirm) => {
                self.closed = true;
                if let Some(choice) = self.choices.get(self.selected) {
                    return Command::PickModel(Box::new(choice.clone()));
                }
            }
            _ => {}
        }
        Command::None
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let height = (self.choices.len() as u16 * 2 + 2).min(area.height);
        let popup = centered(area, area.width.saturating_sub(8).min(100), height);
        frame.render_widget(Clear, popup);
        let items: Vec<ListItem> = self
            .choices
            .iter()
            .map(|c| {
                let kind = match &c.plan.policy {
                    ModelSpec::Server(_) => "servers",
                    _ => "in process",
                };
                ListItem::new(vec![
                    Line::from(vec![
                        Span::styled(
                            c.name.clone(),
                            Style::default().add_modifier(Modifier::BOLD),
                        ),
                        Span::styled(format!("  ({kind})"), Style::default().fg(Color::DarkGray)),
                    ]),
                    Line::from(format!("  {}", c.detail())),
                ])
            })
            .collect();
        let list = List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Model (from cai.toml) ")
                    .title_bottom(Line::from(" Enter load · Esc close ")),
            )
            .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        let mut state = ListState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(list, popup, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::choices::choices;
    use crate::model::profiles::{ModelPlan, Profiles};

    #[test]
    fn enter_picks_the_selected_choice_and_closes() {
        let mut picker = ModelPicker::new(choices(&ModelPlan::default(), &Profiles::default()));
        assert_eq!(picker.choices.len(), 1);
        picker.on_action(Some(Action::Down));
        assert_eq!(picker.selected, 0, "no row below the last");
        match picker.on_action(Some(Action::Confirm)) {
            Command::PickModel(choice) => assert_eq!(choice.name, "as opened"),
            _ => panic!("no pick"),
        }
        assert!(picker.closed);
    }
}
