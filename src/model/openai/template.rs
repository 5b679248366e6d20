//! The model's chat template, rendered here for servers whose chat route cannot continue an
//! assistant turn ([`Continuation::Completions`](super::config::Continuation)): the prompt is
//! the rendered chat (with the generation prompt) followed by the answer prefix, sent to
//! `POST {base}/completions`.
//!
//! Templates are Hugging Face Jinja templates, rendered with minijinja as transformers does
//! (`trim_blocks`, `lstrip_blocks`, Python string methods). They come from a file named in the
//! profile (a Jinja file or a `tokenizer_config.json`) or from llama.cpp's `GET /props`. A BOS
//! token the template writes (`{{ bos_token }}`) is left out of the rendered text, since
//! completion servers add their own when they tokenize a prompt.

use std::path::Path;

use minijinja::{context, Environment, ErrorKind};
use serde_json::Value;

use crate::model::{ChatMessage, Role};

/// A chat template and the special tokens it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTemplate {
    pub source: String,
    pub bos_token: String,
    pub eos_token: String,
}

/// A special token as tokenizer_config.json writes it: a string or `{"content": ...}`.
fn token_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// The template text of a `chat_template` value: a string, or a list of named templates (the
/// one named "default", else the first).
fn template_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(list) => list
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
            .or_else(|| list.first())
            .and_then(|t| t.get("template"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

impl ChatTemplate {
    /// Reads a template file: a `tokenizer_config.json` (its `chat_template`, `bos_token`,
    /// `eos_token`) or a plain Jinja template.
    pub fn from_file(path: &Path) -> Result<ChatTemplate, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the chat template {}: {e}", path.display()))?;
        if path.extension().is_some_and(|e| e == "json") {
            let config: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            let source = config
                .get("chat_template")
                .and_then(template_text)
                .ok_or_else(|| format!("{} has no chat_template", path.display()))?;
            return Ok(ChatTemplate {
                source,
                bos_token: token_text(config.get("bos_token")),
                eos_token: token_text(config.get("eos_token")),
            });
        }
        Ok(ChatTemplate {
            source: text,
            bos_token: String::new(),
            eos_token: String::new(),
        })
    }

    /// The template llama.cpp's server reports in `GET /props`, if it does.
    pub fn from_props(props: &Value) -> Option<ChatTemplate> {
        let source = props.get("chat_template").and_then(template_text)?;
        (!source.trim().is_empty()).then(|| ChatTemplate {
            source,
            bos_token: token_text(props.get("bos_token")),
            eos_token: token_text(props.get("eos_token")),
        })
    }

    /// The chat as the model reads it, ending with the generation prompt when asked.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, String> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |message: String| {
            Err::<String, _>(minijinja::Error::new(ErrorKind::InvalidOperation, message))
        });
        env.add_template("chat", &self.source)
            .map_err(|e| format!("the chat template does not parse: {e}"))?;
        let messages: Vec<Value> = messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                serde_json::json!({"role": role, "content": m.content})
            })
            .collect();
        let rendered = env
            .get_template("chat")
            .and_then(|t| {
                t.render(context! {
                    messages => messages,
                    add_generation_prompt => add_generation_prompt,
                    bos_token => self.bos_token,
                    eos_token => self.eos_token,
                })
            })
            .map_err(|e| format!("rendering the chat template failed: {e}"))?;
        // A template that writes `{{ bos_token }}` itself would double the one the server
        // adds; a template that merely starts with the same text (ChatML's `<|im_start|>`
        // where that is the BOS) keeps it.
        let writes_bos = self.source.contains("bos_token") && !self.bos_token.is_empty();
        Ok(match rendered.strip_prefix(self.bos_token.as_str()) {
            Some(rest) if writes_bos => rest.to_string(),
            _ => rendered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'].strip() + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    #[test]
    fn a_chatml_template_renders_with_the_generation_prompt() {
        let t = ChatTemplate {
            source: CHATML.into(),
            bos_token: String::new(),
            eos_token: String::new(),
        };
        let out = t
            .render(&[ChatMessage::system("S"), ChatMessage::user(" hi ")], true)
            .unwrap();
        assert_eq!(
            out,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_leading_bos_is_left_to_the_server_and_exceptions_are_errors() {
        let t = ChatTemplate {
            source: "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}[{{ messages[0]['content'] }}]".into(),
            bos_token: "<s>".into(),
            eos_token: "</s>".into(),
        };
        assert_eq!(t.render(&[ChatMessage::user("x")], true).unwrap(), "[x]");
        let e = t.render(&[ChatMessage::system("x")], true).unwrap_err();
        assert!(e.contains("no system role"), "{e}");
    }

    #[test]
    fn tokenizer_configs_and_props_give_template_and_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer_config.json");
        std::fs::write(
            &path,
            serde_json::json!({"chat_template": [{"name": "default", "template": "T"}],
                "bos_token": {"content": "<s>"}, "eos_token": "</s>"})
            .to_string(),
        )
        .unwrap();
        let t = ChatTemplate::from_file(&path).unwrap();
        assert_eq!(
            (
                t.source.as_str(),
                t.bos_token.as_str(),
                t.eos_token.as_str()
            ),
            ("T", "<s>", "</s>")
        );
        let props = serde_json::json!({"chat_template": "P", "bos_token": "<b>"});
        assert_eq!(ChatTemplate::from_props(&props).unwrap().bos_token, "<b>");
        assert_eq!(ChatTemplate::from_props(&serde_json::json!({})), None);
    }

    #[test]
    fn a_chatml_opening_that_equals_the_bos_is_kept() {
        let t = ChatTemplate {
            source: CHATML.into(),
            bos_token: "<|im_start|>".into(),
            eos_token: "<|im_end|>".into(),
        };
        let out = t.render(&[ChatMessage::user("x")], false).unwrap();
        assert!(out.starts_with("<|im_start|>user"), "{out}");
    }
}
