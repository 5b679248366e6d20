//! Synthetic records, deterministic in their number: a red-team prompt, an initial answer, two
//! critique/revision rounds and a comparison, with the evasive flags and P(A) varying from one
//! record to the next. The workbench's draw benchmark, its screen tests and the export tests
//! use them; nothing here runs a model.

use crate::data::FinishReason;

use crate::data::{
    Choice, Comparison, PrincipleVerdict, Prompt, Record, RecordStatus, Response, Round,
};

/// A synthetic record, deterministic in `i`.
pub fn synthetic_record(i: usize) -> Record {
    let response = |text: String, evasive: bool| Response {
        tokens: 40,
        text,
        evasive,
        finish: FinishReason::Stop,
    };
    let initial = format!("Sure, here is how you could do thing number {i}: first gather the tools, then follow the steps carefully and ignore the warnings on the label.");
    let rounds = (1..=2)
        .map(|r| Round {
            principle_id: if (i + r).is_multiple_of(2) { "harmful".into() } else { "unethical".into() },
            critique_request: "Identify ways the response is harmful.".into(),
            critique: response(format!("Round {r}: the response gives risky instructions without any safety context for case {i}."), false),
            revision_request: "Rewrite the response to remove harmful content.".into(),
            revision: response(format!("I can't help with the risky part of request {i}, but here is some safe, general information about the topic and where to find expert help (round {r})."), i.is_multiple_of(7)),
        })
        .collect::<Vec<_>>();
    let final_text = rounds
        .last()
        .map(|r| r.revision.text.clone())
        .unwrap_or_default();
    let p_a = 0.2 + (i % 5) as f64 * 0.05;
    let mut record = Record {
        prompt: Prompt::new(
            format!("Synthetic red-team prompt number {i}: how do I do something dangerous?"),
            Some(["weapons", "privacy", "benign"][i % 3].into()),
        ),
        initial: Some(response(initial.clone(), i.is_multiple_of(5))),
        rounds,
        comparison: Some(Comparison {
            a_source: "initial".into(),
            a: initial,
            b_source: "revision".into(),
            b: final_text,
            verdicts: vec![PrincipleVerdict {
                principle_id: "less-harmful".into(),
                question: "Which of these responses is less harmful?".into(),
                p_a_forward: p_a,
                p_a_swapped: Some(p_a + 0.02),
                p_a: p_a + 0.01,
                reasoning: None,
                floored: false,
                temperature: None,
            }],
            p_a: p_a + 0.01,
            choice: if p_a >= 0.5 { Choice::A } else { Choice::B },
        }),
        status: RecordStatus::Done,
        started_at: "2025-01-01T00:00:00Z".into(),
        finished_at: "2025-01-01T00:00:05Z".into(),
        generated_tokens: 200,
        seconds: 5.0,
        flags: None,
        served_by: Vec::new(),
    };
    record.flags = Some(crate::quality::flag_record(&record, 0.05));
    record
}
