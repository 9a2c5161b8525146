//! The parsed TOML document as an owned tree in which every key and value keeps its byte span.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// A value and the bytes of the spec it was written at.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub value: NodeValue,
}

/// A TOML value (datetimes are kept only to be rejected with a type error).
#[derive(Clone, Debug)]
pub enum NodeValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// One `key = value` of a table.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl NodeValue {
    /// The type's name as messages say it: "a string", "an integer", ...
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeValue::Str(_) => "a string",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Datetime => "a date-time",
            NodeValue::Array(_) => "an array",
            NodeValue::Table(_) => "a table",
        }
    }

    /// The number held, for integers and floats.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            NodeValue::Int(i) => Some(*i as f64),
            NodeValue::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// Parses `text` into a tree, or returns the TOML syntax error's message and span.
pub fn parse_document(text: &str) -> Result<Node, (String, Range<usize>)> {
    let doc = DeTable::parse(text).map_err(|e| {
        let message = e.message().trim_end().to_string();
        (message, e.span().unwrap_or(0..0))
    })?;
    let span = 0..text.len();
    Ok(Node {
        span,
        value: NodeValue::Table(convert_table(doc.get_ref())),
    })
}

fn convert_table(table: &DeTable<'_>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = table
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_span: k.span(),
            value: Node {
                span: v.span(),
                value: convert_value(v.get_ref()),
            },
        })
        .collect();
    entries.sort_by_key(|e| e.key_span.start);
    entries
}

fn convert_value(value: &DeValue<'_>) -> NodeValue {
    match value {
        DeValue::String(s) => NodeValue::Str(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(NodeValue::Int)
            .unwrap_or(NodeValue::Float(f64::INFINITY)),
        DeValue::Float(x) => NodeValue::Float(x.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => NodeValue::Bool(*b),
        DeValue::Datetime(_) => NodeValue::Datetime,
        DeValue::Array(a) => NodeValue::Array(
            a.iter()
                .map(|v| Node {
                    span: v.span(),
                    value: convert_value(v.get_ref()),
                })
                .collect(),
        ),
        DeValue::Table(t) => NodeValue::Table(convert_table(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_of_keys_values_and_table_headers() {
        let text = "a = 1_000\n[sweep]\nlr = { log_range = [1e-4, 1.0], points = 9 }\n";
        let root = parse_document(text).unwrap();
        let NodeValue::Table(entries) = root.value else {
            panic!("root is a table")
        };
        assert_eq!(entries[0].key, "a");
        assert!(matches!(entries[0].value.value, NodeValue::Int(1000)));
        assert_eq!(&text[entries[1].value.span.clone()], "[sweep]");
        let NodeValue::Table(sweep) = &entries[1].value.value else {
            panic!("sweep is a table")
        };
        assert_eq!(&text[sweep[0].key_span.clone()], "lr");
    }

    #[test]
    fn syntax_errors_carry_a_span() {
        let (message, span) = parse_document("a = \nb = 1").unwrap_err();
        assert!(message.contains("quoted") || !message.is_empty());
        assert_eq!(span.start, 4);
    }
}
