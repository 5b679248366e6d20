//! The models a front end offers to switch between: the choice it started with, the default
//! model, then every profile of `cai.toml`, each as a plan for the policy and feedback models.

use super::profiles::{ModelPlan, Profiles};

/// One model choice.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelChoice {
    pub name: String,
    pub plan: ModelPlan,
}

impl ModelChoice {
    /// What the policy and feedback models are, in a line.
    pub fn detail(&self) -> String {
        if self.plan.policy == self.plan.feedback {
            self.plan.policy.describe()
        } else {
            format!(
                "policy {}; feedback {}",
                self.plan.policy.describe(),
                self.plan.feedback.describe()
            )
        }
    }
}

/// The choices of a workbench opened with `started` and these profiles: the starting choice,
/// the default model, then every profile (for both policy and feedback).
pub fn choices(started: &ModelPlan, profiles: &Profiles) -> Vec<ModelChoice> {
    let mut out = vec![ModelChoice {
        name: "as opened".into(),
        plan: started.clone(),
    }];
    let default = ModelPlan::default();
    if *started != default {
        out.push(ModelChoice {
            name: "default model".into(),
            plan: default,
        });
    }
    for (name, spec) in &profiles.models {
        let plan = ModelPlan {
            policy: spec.clone(),
            feedback: spec.clone(),
        };
        if plan != *started {
            out.push(ModelChoice {
                name: name.clone(),
                plan,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_list_the_start_the_default_and_each_profile_once() {
        let profiles = Profiles::parse(
            "[models.small]\npath = \"s.gguf\"\n[models.farm]\nendpoints = [\"http://a:1/v1\"]\n",
            std::path::Path::new("cai.toml"),
        )
        .unwrap();
        let started = ModelPlan {
            policy: profiles.models["small"].clone(),
            feedback: profiles.models["small"].clone(),
        };
        let names: Vec<String> = choices(&started, &profiles)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["as opened", "default model", "farm"]);
    }
}
