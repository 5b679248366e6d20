//! The one TOML writer: a constitution as a `toml_edit` document. A new file (an import, a
//! fresh constitution) is written by `toml`'s serializer and then handled as a document, with
//! comments where the caller has something to say; an existing file is edited in place, one
//! table at a time (add, delete, toggle, reorder, replace the fields of a principle), so the
//! author's comments, blank lines, key order and string styles survive and only what changed is
//! rewritten.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::types::{ComparisonPrinciple, Constitution, Principle};

/// The two lists of principles a constitution has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// `[[principles]]`: critique/revision.
    Principles,
    /// `[[comparisons]]`: feedback.
    Comparisons,
}

impl List {
    /// The TOML key of the list.
    pub fn key(self) -> &'static str {
        match self {
            List::Principles => "principles",
            List::Comparisons => "comparisons",
        }
    }
}

/// A new constitution file's text, through `toml`'s serializer, with `enabled = true` left
/// out (it is the default), and the comments given: `header` lines above everything, and one
/// comment line above each principle, comparison or example table (by list key and index).
pub fn new_document(
    c: &Constitution,
    header: &[String],
    comment_for: &dyn Fn(&str, usize) -> Option<String>,
) -> Result<DocumentMut, String> {
    let text = toml::to_string_pretty(c).map_err(|e| e.to_string())?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    tidy(doc.as_table_mut());
    for key in ["principles", "comparisons", "examples"] {
        let Some(tables) = doc.get_mut(key).and_then(Item::as_array_of_tables_mut) else {
            continue;
        };
        for (i, table) in tables.iter_mut().enumerate() {
            if table.get("enabled").and_then(Item::as_bool) == Some(true) {
                table.remove("enabled");
            }
            let comment = comment_for(key, i).map(|c| format!("# {}\n", one_line(&c)));
            table
                .decor_mut()
                .set_prefix(format!("\n{}", comment.unwrap_or_default()));
        }
    }
    if !header.is_empty() {
        let lines: String = header
            .iter()
            .map(|l| format!("# {}\n", one_line(l)))
            .collect();
        let first = doc.as_table_mut().iter_mut().next().map(|(key, _)| key);
        if let Some(mut key) = first {
            key.leaf_decor_mut().set_prefix(format!("{lines}\n"));
        }
    }
    Ok(doc)
}

/// What the serializer writes but a person would not: settings (f32) widened to f64
/// (`0.699999988079071` for 0.7), arrays split over lines, empty lists written out.
fn tidy(table: &mut Table) {
    let empty: Vec<String> = table
        .iter()
        .filter(|(_, item)| item.as_array().is_some_and(|a| a.is_empty()))
        .map(|(k, _)| k.to_string())
        .collect();
    for key in empty {
        table.remove(&key);
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => tidy(t),
            Item::Value(v) => tidy_value(v),
            _ => {}
        }
    }
}

fn tidy_value(value: &mut Value) {
    match value {
        Value::Float(f) => {
            let narrow = *f.value() as f32;
            if f64::from(narrow) == *f.value() {
                if let Ok(short) = narrow.to_string().parse::<f64>() {
                    let decor = f.decor().clone();
                    *value = Value::from(short);
                    *value.decor_mut() = decor;
                }
            }
        }
        Value::Array(array) => {
            array.iter_mut().for_each(tidy_value);
            array.fmt();
        }
        _ => {}
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The tables of a list, turning an inline array of tables into `[[...]]` form if needed.
fn tables_mut(doc: &mut DocumentMut, list: List) -> Option<&mut ArrayOfTables> {
    let item = doc.get_mut(list.key())?;
    if item.is_array() {
        let taken = std::mem::take(item);
        *item = taken
            .into_array_of_tables()
            .map_or_else(|it| it, Item::ArrayOfTables);
    }
    item.as_array_of_tables_mut()
}

/// The table of one principle.
pub fn table(doc: &DocumentMut, list: List, index: usize) -> Option<&Table> {
    doc.get(list.key())?.as_array_of_tables()?.get(index)
}

/// The text of one principle's fields, as shown in the editor (its header and the comments
/// above it are not part of it).
pub fn fields_text(doc: &DocumentMut, list: List, index: usize) -> String {
    let Some(t) = table(doc, list, index) else {
        return String::new();
    };
    let mut fragment = DocumentMut::new();
    for (key, item) in t.iter() {
        if let Some(key) = t.key(key) {
            fragment.insert_formatted(key, item.clone());
        }
    }
    let text = fragment.to_string();
    text.strip_prefix('\n').unwrap_or(&text).to_string()
}

/// Replaces one principle's fields by those of `fragment` (already checked to have the right
/// shape). Fields whose text is unchanged are left exactly as they were; fields gone from the
/// fragment are removed; new ones are added at the end.
pub fn replace_fields(doc: &mut DocumentMut, list: List, index: usize, fragment: &DocumentMut) {
    let Some(t) = tables_mut(doc, list).and_then(|a| a.get_mut(index)) else {
        return;
    };
    let gone: Vec<String> = t
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !fragment.contains_key(k))
        .collect();
    for key in gone {
        t.remove(&key);
    }
    for (name, item) in fragment.iter() {
        let Some(key) = fragment.key(name) else {
            continue;
        };
        let unchanged = t.get(name).map(|old| old.to_string()) == Some(item.to_string())
            && t.key(name).map(|k| k.leaf_decor().clone()) == Some(key.leaf_decor().clone());
        if !unchanged {
            t.insert_formatted(key, item.clone());
        }
    }
}

/// Inserts a new table at `index` of a list (created if missing), after the table before it.
pub fn insert(doc: &mut DocumentMut, list: List, index: usize, mut table: Table) {
    if doc.get(list.key()).is_none() {
        doc.insert(list.key(), Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(tables) = tables_mut(doc, list) else {
        return;
    };
    let index = index.min(tables.len());
    // Rendering orders tables by position: take the place of the neighbour before it (ties keep
    // array order), or come first with the one after it.
    let neighbour = index.checked_sub(1).or((index < tables.len()).then_some(0));
    if let Some(position) = neighbour
        .and_then(|i| tables.get(i))
        .and_then(Table::position)
    {
        table.set_position(position);
    }
    let mut all: Vec<Table> = std::mem::take(tables).into_iter().collect();
    all.insert(index, table);
    tables.extend(all);
}

/// Removes a table of a list; `false` if there was none.
pub fn remove(doc: &mut DocumentMut, list: List, index: usize) -> bool {
    match tables_mut(doc, list) {
        Some(tables) if index < tables.len() => {
            tables.remove(index);
            true
        }
        _ => false,
    }
}

/// Swaps two tables of a list, with the comments above them; they also swap places in the
/// file.
pub fn swap(doc: &mut DocumentMut, list: List, i: usize, j: usize) {
    let Some(tables) = tables_mut(doc, list) else {
        return;
    };
    if i.max(j) >= tables.len() || i == j {
        return;
    }
    let mut all: Vec<Table> = std::mem::take(tables).into_iter().collect();
    let (pi, pj) = (all[i].position(), all[j].position());
    all.swap(i, j);
    if let (Some(pi), Some(pj)) = (pi, pj) {
        all[i].set_position(pi);
        all[j].set_position(pj);
    }
    tables.extend(all);
}

/// Sets a principle's `enabled` flag: the value is replaced in place (keeping its comments),
/// or `enabled = false` added; turning it back on removes a line this editor added.
pub fn set_enabled(doc: &mut DocumentMut, list: List, index: usize, enabled: bool) {
    let Some(t) = tables_mut(doc, list).and_then(|a| a.get_mut(index)) else {
        return;
    };
    match t.get_mut("enabled").and_then(Item::as_value_mut) {
        Some(value) => {
            let decor = value.decor().clone();
            *value = Value::from(enabled);
            *value.decor_mut() = decor;
        }
        None if !enabled => {
            t.insert("enabled", toml_edit::value(false));
        }
        None => {}
    }
}

/// A table for a new critique/revision principle.
pub fn principle_table(p: &Principle) -> Table {
    let mut t = Table::new();
    t.insert("id", toml_edit::value(p.id.as_str()));
    t.insert("critique", toml_edit::value(p.critique.as_str()));
    t.insert("revision", toml_edit::value(p.revision.as_str()));
    if !p.enabled {
        t.insert("enabled", toml_edit::value(false));
    }
    t
}

/// A table for a new comparison principle.
pub fn comparison_table(p: &ComparisonPrinciple) -> Table {
    let mut t = Table::new();
    t.insert("id", toml_edit::value(p.id.as_str()));
    t.insert("question", toml_edit::value(p.question.as_str()));
    if !p.enabled {
        t.insert("enabled", toml_edit::value(false));
    }
    t
}

/// A table copied from another (same fields, same string styles) under a new id, without the
/// comments that were above the original.
pub fn copy_with_id(original: &Table, id: &str) -> Table {
    let mut t = original.clone();
    t.decor_mut().set_prefix("\n");
    if let Some(value) = t.get_mut("id").and_then(Item::as_value_mut) {
        let decor = value.decor().clone();
        *value = Value::from(id);
        *value.decor_mut() = decor;
    }
    t
}

#[cfg(test)]
mod tests;
