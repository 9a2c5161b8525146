//! Free-form parameter values (optimizer and schedule hyperparameters, swept values).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::Diagnostics;
use super::tree::{Node, NodeValue};

/// A hyperparameter or swept value as written in the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Bool(bool),
    Int(i64),
    Number(f64),
    Text(String),
    List(Vec<Param>),
    Table(BTreeMap<String, Param>),
}

impl Param {
    /// Converts a TOML node (datetimes are a type error).
    pub(crate) fn from_node(d: &mut Diagnostics, node: &Node, key: &str) -> Option<Param> {
        Some(match &node.value {
            NodeValue::Bool(b) => Param::Bool(*b),
            NodeValue::Int(i) => Param::Int(*i),
            NodeValue::Float(x) => Param::Number(*x),
            NodeValue::Str(s) => Param::Text(s.clone()),
            NodeValue::Array(items) => Param::List(
                items
                    .iter()
                    .map(|n| Param::from_node(d, n, key))
                    .collect::<Option<_>>()?,
            ),
            NodeValue::Table(entries) => Param::Table(
                entries
                    .iter()
                    .map(|e| Some((e.key.clone(), Param::from_node(d, &e.value, &e.key)?)))
                    .collect::<Option<_>>()?,
            ),
            NodeValue::Datetime => {
                d.error(node.span.clone(), format!("`{key}` cannot be a date-time"));
                return None;
            }
        })
    }

    /// The number held by an `Int` or `Number`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Param::Int(i) => Some(*i as f64),
            Param::Number(x) => Some(*x),
            _ => None,
        }
    }
}

impl fmt::Display for Param {
    /// Compact text for tables and legends: `0.001`, `adam`, `[64, 32]`, `{kind=cosine}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Bool(b) => write!(f, "{b}"),
            Param::Int(i) => write!(f, "{i}"),
            Param::Number(x) => write!(f, "{x}"),
            Param::Text(s) => write!(f, "{s}"),
            Param::List(items) => {
                let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", parts.join(" "))
            }
            Param::Table(map) => {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "{{{}}}", parts.join(" "))
            }
        }
    }
}
