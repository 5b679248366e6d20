//! Tests of the scripted backend: rules, streaming, limits, cancellation, probabilities.

use super::*;
use tokio::sync::mpsc::unbounded_channel;

fn user(text: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::user("earlier"),
        ChatMessage::assistant("x"),
        ChatMessage::user(text),
    ]
}

#[tokio::test]
async fn rules_match_last_user_message_and_stream_words() {
    let b = ScriptedBackend::new().with_rule("bread", "Mix flour and water.");
    let (tx, mut rx) = unbounded_channel();
    let g = b
        .chat(
            &user("how to bake bread"),
            Sampling::greedy(50),
            Some(tx),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(g.text, "Mix flour and water.");
    assert_eq!(g.completion_tokens, 4);
    assert_eq!(g.finish, FinishReason::Stop);
    let mut pieces = Vec::new();
    while let Ok(p) = rx.try_recv() {
        pieces.push(p);
    }
    assert_eq!(pieces, vec!["Mix", " flour", " and", " water."]);
    assert_eq!(b.chat_calls(), 1);
    assert_eq!(b.chat_log()[0].messages.len(), 3);
}

#[tokio::test]
async fn default_reply_echoes_input_and_max_tokens_limits() {
    let b = ScriptedBackend::new();
    let g = b
        .chat(
            &user("one two three four"),
            Sampling::greedy(3),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(g.text, "Reply to: one");
    assert_eq!(g.finish, FinishReason::Length);
    assert_eq!(b.info().id, "scripted");
}

#[tokio::test]
async fn cancellation_returns_partial_text() {
    let b = ScriptedBackend::new()
        .with_rule("long", "a b c d e f g h i j k l m n o p")
        .with_token_delay(Duration::from_millis(20));
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(70)).await;
        c2.cancel();
    });
    let g = b
        .chat(&user("long"), Sampling::greedy(100), None, cancel)
        .await
        .unwrap();
    assert_eq!(g.finish, FinishReason::Cancelled);
    assert!(!g.text.is_empty() && g.text.len() < "a b c d e f g h i j k l m n o p".len());
}

#[tokio::test]
async fn probabilities_are_normalised_and_failures_scripted() {
    let b = ScriptedBackend::new()
        .with_fixed_probabilities(vec![3.0, 1.0])
        .failing_when("boom");
    let p = b
        .option_probabilities(&user("q"), "(", &["A", "B"])
        .await
        .unwrap();
    assert!((p[0] - 0.75).abs() < 1e-12 && (p[1] - 0.25).abs() < 1e-12);
    let err = b
        .option_probabilities(&user("boom"), "(", &["A", "B"])
        .await;
    assert!(matches!(err, Err(ModelError::Backend(_))));
    let err = b
        .chat(
            &user("boom"),
            Sampling::greedy(5),
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(matches!(err, Err(ModelError::Backend(_))));
    assert_eq!(b.probability_calls(), 2);
    let uniform = ScriptedBackend::new();
    let p = uniform
        .option_probabilities(&user("q"), "(", &["A", "B", "C"])
        .await
        .unwrap();
    assert!(p.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-12));
    let bad = ScriptedBackend::new().with_fixed_probabilities(vec![0.0, 0.0]);
    assert!(bad
        .option_probabilities(&user("q"), "(", &["A", "B"])
        .await
        .is_err());
}
