//! Tests of the wire format: request bodies, stream parsing, the logprobs shapes.

use serde_json::json;

use super::*;

#[test]
fn chat_bodies_pass_sampling_and_seed_through() {
    let messages = [ChatMessage::user("hi")];
    let sampled = Sampling {
        temperature: 0.7,
        top_p: 0.9,
        max_tokens: 64,
        seed: Some(42),
        penalties: crate::model::Penalties {
            frequency: 0.5,
            dry_multiplier: 0.8,
            dry_base: 1.75,
            dry_allowed_length: 2,
            ..Default::default()
        },
        stop_on_loop: true,
    };
    let body = chat_body("m", &messages, sampled);
    assert_eq!(body["model"], "m");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 64);
    assert!((body["temperature"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    assert!((body["top_p"].as_f64().unwrap() - 0.9).abs() < 1e-6);
    assert_eq!(body["seed"], 42);
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": "hi"})
    );
    assert_eq!(body["frequency_penalty"], 0.5);
    assert!(body.get("presence_penalty").is_none(), "zero means off");
    assert_eq!(body["dry_allowed_length"], 2);
    let greedy = chat_body("m", &messages, Sampling::greedy(8));
    assert_eq!(greedy["temperature"], 0.0);
    assert_eq!(greedy["top_p"], 1.0);
    assert!(greedy.get("seed").is_none());
    assert!(greedy.get("frequency_penalty").is_none());
    assert!(greedy.get("dry_multiplier").is_none());
}

#[test]
fn option_bodies_end_with_the_assistant_prefix() {
    let messages = [ChatMessage::user("q")];
    let body = option_chat_body(
        "m",
        &messages,
        "The answer is: (",
        20,
        Continuation::default(),
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": "The answer is: ("})
    );
    assert_eq!(body["continue_final_message"], true);
    assert_eq!(body["add_generation_prompt"], false);
    assert_eq!(body["top_logprobs"], 20);
    assert_eq!(body["max_tokens"], 1);
    let prefill = option_chat_body("m", &messages, "(", 5, Continuation::AssistantPrefill);
    assert!(prefill.get("continue_final_message").is_none());
    let completion = option_completion_body("m", "<prompt>", 7);
    assert_eq!(completion["logprobs"], 7);
    assert_eq!(completion["prompt"], "<prompt>");
}

#[test]
fn stream_events_split_across_chunks_are_reassembled() {
    let mut events = SseEvents::default();
    assert!(events.feed(b"data: {\"a\"").is_empty());
    assert_eq!(
        events.feed(b":1}\r\n\r\ndata: [DONE]\n\n"),
        vec!["{\"a\":1}", "[DONE]"]
    );
    assert_eq!(
        events.feed(b": keep-alive comment\nevent: x\n\n"),
        Vec::<String>::new()
    );
}

#[test]
fn an_events_data_lines_are_joined_with_line_breaks() {
    let mut events = SseEvents::default();
    assert_eq!(
        events.feed(b"event: message\ndata: {\"a\":\ndata:  1}\nid: 3\n\n"),
        vec!["{\"a\":\n 1}"],
        "one event, two data lines, one space after the colon dropped"
    );
    // A CR-only line ending, split between chunks from its LF-less blank line.
    assert!(events.feed(b"data: x\r").is_empty());
    assert_eq!(events.feed(b"\r"), vec!["x"]);
    // An event the stream ends in without its blank line is not lost.
    assert!(events.feed(b"data: [DONE]").is_empty());
    assert_eq!(events.finish(), Some("[DONE]".to_string()));
    assert_eq!(events.finish(), None);
}

#[test]
fn chunks_give_text_finish_and_usage() {
    let d =
        parse_chunk(r#"{"choices":[{"delta":{"content":"Hel"},"finish_reason":null}]}"#).unwrap();
    assert_eq!(d.text.as_deref(), Some("Hel"));
    assert_eq!(d.finish, None);
    let d = parse_chunk(
        r#"{"choices":[{"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":9}}"#,
    )
    .unwrap();
    assert_eq!(d.finish, Some(FinishReason::Length));
    assert_eq!(d.usage, Some((5, 9)));
    let d =
        parse_chunk(r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#).unwrap();
    assert_eq!(d.usage, Some((1, 2)));
    assert!(parse_chunk(r#"{"error":{"message":"overloaded"}}"#)
        .unwrap_err()
        .contains("overloaded"));
    assert!(parse_chunk("not json").is_err());
}

#[test]
fn top_tokens_are_read_from_every_shape() {
    let chat = json!({"choices":[{"logprobs":{"content":[{"token":"A","logprob":-0.1,
        "top_logprobs":[{"token":"A","logprob":-0.1},{"token":" B","logprob":-2.5}]}]}}]});
    let got = top_tokens(&chat).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].token, " B");
    let legacy = json!({"choices":[{"logprobs":{"tokens":["A"],"token_logprobs":[-0.1],
        "top_logprobs":[{"A":-0.1,"B":-2.5}]}}]});
    let got = top_tokens(&legacy).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().any(|t| t.token == "B" && t.logprob == -2.5));
    assert_eq!(top_tokens(&json!({"choices":[{"logprobs":null}]})), None);
    assert_eq!(top_tokens(&json!({"choices":[{"message":{}}]})), None);
    let empty = json!({"choices":[{"logprobs":{"content":[{"token":"A","logprob":0.0,
        "top_logprobs":[]}]}}]});
    assert_eq!(top_tokens(&empty), None);
}

#[test]
fn model_names_come_from_the_data_list() {
    let answer = json!({"object":"list","data":[{"id":"llama-8b"},{"id":"other"}]});
    assert_eq!(model_names(&answer), vec!["llama-8b", "other"]);
    assert!(model_names(&json!({})).is_empty());
}
