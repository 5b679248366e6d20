//! Finding things in the parsed TOML by position: the byte span of a field path such as
//! `principles[3].id` (to place a validation problem), and the field path at a byte offset
//! (to name the field a deserialisation error is about). Both walk a `toml_edit::ImDocument`,
//! which remembers where every key, value and table header came from.

use std::ops::Range;

use toml_edit::{ImDocument, Item, TableLike, Value};

/// The span of the field at `path` (dotted keys, `[i]` indices, 0-based). When the path does
/// not exist all the way down, the span of its deepest existing ancestor; `None` if even the
/// first key is missing.
pub fn span_of_path(doc: &ImDocument<&str>, path: &str) -> Option<Range<usize>> {
    let mut table: Option<&dyn TableLike> = Some(doc.as_table());
    let mut best: Option<Range<usize>> = None;
    for segment in path.split('.') {
        let (name, index) = split_index(segment);
        let Some((key, item)) = table.and_then(|t| t.get_key_value(name)) else {
            return best;
        };
        // A table is best shown by its header; a key/value by its key.
        let span = if item.is_table() || item.is_array_of_tables() {
            item.span().or_else(|| key.span())
        } else {
            key.span().or_else(|| item.span())
        };
        best = span.or(best);
        table = item.as_table_like();
        if let Some(i) = index {
            match item {
                Item::ArrayOfTables(array) => {
                    let Some(t) = array.get(i) else { return best };
                    best = t.span().or(best);
                    table = Some(t as &dyn TableLike);
                }
                Item::Value(Value::Array(array)) => {
                    let Some(value) = array.get(i) else {
                        return best;
                    };
                    best = value.span().or(best);
                    table = value.as_inline_table().map(|t| t as &dyn TableLike);
                }
                _ => return best,
            }
        }
    }
    best
}

/// The path of the deepest field whose key, value or table header contains `offset`.
pub fn path_at_offset(doc: &ImDocument<&str>, offset: usize) -> Option<String> {
    path_in_table(doc.as_table(), offset, "")
}

fn path_in_table(table: &dyn TableLike, offset: usize, prefix: &str) -> Option<String> {
    for (name, item) in table.iter() {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        if let Some(found) = path_in_item(item, offset, &path) {
            return Some(found);
        }
        let key_span = table.key(name).and_then(|k| k.span());
        if contains(key_span, offset) {
            return Some(path);
        }
    }
    None
}

fn path_in_item(item: &Item, offset: usize, path: &str) -> Option<String> {
    match item {
        Item::Table(t) => path_in_table(t, offset, path)
            .or_else(|| contains(t.span(), offset).then(|| path.to_string())),
        Item::ArrayOfTables(array) => array.iter().enumerate().find_map(|(i, t)| {
            let element = format!("{path}[{i}]");
            path_in_table(t, offset, &element)
                .or_else(|| contains(t.span(), offset).then_some(element))
        }),
        Item::Value(v) => path_in_value(v, offset, path),
        Item::None => None,
    }
}

fn path_in_value(value: &Value, offset: usize, path: &str) -> Option<String> {
    if !contains(value.span(), offset) {
        return None;
    }
    let inner = match value {
        Value::Array(array) => array
            .iter()
            .enumerate()
            .find_map(|(i, v)| path_in_value(v, offset, &format!("{path}[{i}]"))),
        Value::InlineTable(t) => path_in_table(t, offset, path),
        _ => None,
    };
    Some(inner.unwrap_or_else(|| path.to_string()))
}

fn contains(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && (offset < s.end || s.is_empty() && offset == s.start))
}

/// `principles[3]` → (`principles`, Some(3)); `name` → (`name`, None).
fn split_index(segment: &str) -> (&str, Option<usize>) {
    if let Some(open) = segment.find('[') {
        if let Some(inner) = segment[open + 1..].strip_suffix(']') {
            if let Ok(i) = inner.parse() {
                return (&segment[..open], Some(i));
            }
        }
    }
    (segment, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n\
[settings]\n\
rounds = 3\n\
[settings.comparison]\n\
clamp = [0.4, 0.6]\n\
\n\
[[principles]]\n\
id = \"a\"\n\
critique = \"c\"\n\
\n\
[[principles]]\n\
id = \"b\"\n\
inline = { k = 1 }\n";

    fn doc() -> ImDocument<&'static str> {
        ImDocument::parse(TEXT).unwrap()
    }

    fn line_of(span: Range<usize>) -> usize {
        TEXT[..span.start].matches('\n').count() + 1
    }

    #[test]
    fn finds_fields_in_arrays_of_tables_and_nested_tables() {
        let doc = doc();
        let span = span_of_path(&doc, "principles[1].id").unwrap();
        assert_eq!(line_of(span.clone()), 12);
        assert_eq!(&TEXT[span], "id");
        assert_eq!(line_of(span_of_path(&doc, "settings.rounds").unwrap()), 3);
        let clamp = span_of_path(&doc, "settings.comparison.clamp[1]").unwrap();
        assert_eq!(&TEXT[clamp], "0.6");
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let doc = doc();
        // principles[1] has no critique: the table header is the best place.
        let span = span_of_path(&doc, "principles[1].critique").unwrap();
        assert_eq!(line_of(span), 11);
        assert_eq!(span_of_path(&doc, "examples[0].prompt"), None);
        // A missing key in a table: the table's header, from its first column.
        let span = span_of_path(&doc, "settings.top_p").unwrap();
        assert!(TEXT[span].starts_with("[settings]\n"));
    }

    #[test]
    fn names_the_field_at_an_offset() {
        let doc = doc();
        let at = |needle: &str| TEXT.find(needle).unwrap();
        assert_eq!(
            path_at_offset(&doc, at("\"b\"")).as_deref(),
            Some("principles[1].id")
        );
        assert_eq!(
            path_at_offset(&doc, at("0.6")).as_deref(),
            Some("settings.comparison.clamp[1]")
        );
        assert_eq!(
            path_at_offset(&doc, at("k = 1")).as_deref(),
            Some("principles[1].inline.k")
        );
        assert_eq!(
            path_at_offset(&doc, at("rounds")).as_deref(),
            Some("settings.rounds")
        );
    }
}
