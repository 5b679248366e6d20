//! Run order: with one prompt at a time, prompts start in the order given in every run, so a
//! run of the same prompts from a fresh engine draws the same random numbers.

use super::*;
use crate::model::scripted::shared;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_at_a_time_prompts_start_in_the_order_given() {
    let (_, dynamic) = shared(policy());
    let models = models(dynamic.clone(), dynamic);
    let prompts = prompts(40);
    let expected: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
    for _ in 0..3 {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handle = crate::pipeline::runner::spawn_run(
            models.clone(),
            std::sync::Arc::new(constitution(1, 0)),
            prompts.clone(),
            opts(1, false),
            None,
            tx,
        );
        handle.wait().await;
        let started: Vec<String> = drain(&mut rx)
            .into_iter()
            .filter_map(|e| match e {
                PipelineEvent::Started { prompt_id } => Some(prompt_id),
                _ => None,
            })
            .collect();
        assert_eq!(started, expected);
    }
}
