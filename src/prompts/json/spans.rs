//! Where things are in JSON text that serde_json has already accepted: the byte spans of a
//! top-level array's elements and the offsets of an object's values. serde_json itself reads
//! every value and key (through its streaming reader, which says how many bytes it took); this
//! module only steps over the whitespace, commas and colons between them, so a bracket, quote or
//! key name inside a string can never be taken for structure.

use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::Deserializer;

/// The byte spans of the elements of the array that `text` holds (after leading whitespace).
/// `None` when `text` is not an array serde_json reads whole.
pub fn array_elements(text: &str) -> Option<Vec<Range<usize>>> {
    let mut at = expect(text, skip_whitespace(text, 0), b'[')?;
    let mut out = Vec::new();
    if text.as_bytes().get(at) == Some(&b']') {
        return Some(out);
    }
    loop {
        let end = value_end(text, at)?;
        out.push(at..end);
        at = skip_whitespace(text, end);
        match text.as_bytes().get(at)? {
            b',' => at = skip_whitespace(text, at + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// The keys of the object that `text` holds (after leading whitespace), each with the byte
/// offset where its value starts, in file order. `None` when `text` is not an object.
pub fn object_fields(text: &str) -> Option<Vec<(String, usize)>> {
    let mut at = expect(text, skip_whitespace(text, 0), b'{')?;
    let mut out = Vec::new();
    if text.as_bytes().get(at) == Some(&b'}') {
        return Some(out);
    }
    loop {
        let mut keys = Deserializer::from_str(text.get(at..)?).into_iter::<String>();
        let key = keys.next()?.ok()?;
        at = expect(text, skip_whitespace(text, at + keys.byte_offset()), b':')?;
        let end = value_end(text, at)?;
        out.push((key, at));
        at = skip_whitespace(text, end);
        match text.as_bytes().get(at)? {
            b',' => at = skip_whitespace(text, at + 1),
            b'}' => return Some(out),
            _ => return None,
        }
    }
}

/// The offset of the value of `key` in the object `text` holds (the last one if the key is
/// repeated, as serde_json keeps the last).
pub fn field_offset(text: &str, key: &str) -> Option<usize> {
    object_fields(text)?
        .into_iter()
        .rev()
        .find_map(|(k, at)| (k == key).then_some(at))
}

/// The end of the JSON value starting at `at`, as far as serde_json reads it.
fn value_end(text: &str, at: usize) -> Option<usize> {
    let mut values = Deserializer::from_str(text.get(at..)?).into_iter::<IgnoredAny>();
    values.next()?.ok()?;
    Some(at + values.byte_offset())
}

/// Checks that byte `at` (after whitespace) is `byte`; returns the offset after it, whitespace
/// skipped.
fn expect(text: &str, at: usize, byte: u8) -> Option<usize> {
    (text.as_bytes().get(at) == Some(&byte)).then(|| skip_whitespace(text, at + 1))
}

/// The first offset at or after `at` that is not JSON whitespace.
fn skip_whitespace(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    at + rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_spans_ignore_structure_inside_strings() {
        let text = r#" [ "a,[\"]", {"k": [1, 2]} , 3 ]"#;
        let spans = array_elements(text).unwrap();
        let parts: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(parts, [r#""a,[\"]""#, r#"{"k": [1, 2]}"#, "3"]);
        assert_eq!(array_elements("[ ]"), Some(vec![]));
        assert_eq!(array_elements("{}"), None);
        assert_eq!(array_elements("[1,"), None);
    }

    #[test]
    fn a_key_name_inside_a_string_value_is_not_taken_for_the_key() {
        let text = r#"{"id": "the \"prompt\": here", "prompt": 5}"#;
        let at = field_offset(text, "prompt").unwrap();
        assert_eq!(&text[at..], "5}");
        assert_eq!(field_offset(text, "missing"), None);
        let text = r#"{"k\u0065y": 1, "key" : [2]}"#;
        let fields = object_fields(text).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].0, "key");
        assert_eq!(&text[field_offset(text, "key").unwrap()..], "[2]}");
        assert_eq!(object_fields("[]"), None);
    }
}
