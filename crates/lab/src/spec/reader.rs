//! Typed, span-aware reading of TOML tables: every key read is remembered, so the keys left
//! over are reported as unknown with the closest known name.

use std::ops::Range;

use super::error::Diagnostics;
use super::suggest::suggestion;
use super::tree::{Entry, Node, NodeValue};

/// A value and the byte span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// Reads the keys of one table; [`TableReader::finish`] reports the keys nobody asked for.
pub(crate) struct TableReader<'t> {
    entries: &'t [Entry],
    /// Where to point when a required key is missing (the table header or inline table).
    pub(crate) span: Range<usize>,
    /// How messages name the table: `[train]`, `the top level`, ...
    pub(crate) section: String,
    used: Vec<bool>,
    known: Vec<&'static str>,
}

impl<'t> TableReader<'t> {
    pub(crate) fn new(
        entries: &'t [Entry],
        span: Range<usize>,
        section: impl Into<String>,
    ) -> Self {
        Self {
            entries,
            span,
            section: section.into(),
            used: vec![false; entries.len()],
            known: Vec::new(),
        }
    }

    /// A reader over `node` if it is a table, else a type error and `None`.
    pub(crate) fn of(
        d: &mut Diagnostics,
        node: &'t Node,
        section: impl Into<String>,
    ) -> Option<Self> {
        let section = section.into();
        match &node.value {
            NodeValue::Table(entries) => Some(Self::new(entries, node.span.clone(), section)),
            other => {
                d.error(
                    node.span.clone(),
                    format!("{section} must be a table, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// The entry named `key`, marking it read and `key` known.
    pub(crate) fn entry(&mut self, key: &'static str) -> Option<&'t Entry> {
        self.known.push(key);
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.entries[i])
    }

    /// `true` if the table has `key` (without reading it).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The value of `key`.
    pub(crate) fn node(&mut self, key: &'static str) -> Option<&'t Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entries not read yet (for tables whose keys are open-ended), marking them read.
    pub(crate) fn take_rest(&mut self) -> Vec<&'t Entry> {
        let rest = self
            .entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e)
            .collect();
        self.used.iter_mut().for_each(|u| *u = true);
        rest
    }

    /// Reports a missing required `key`.
    pub(crate) fn missing(&self, d: &mut Diagnostics, key: &str, help: &str) {
        d.error_help(
            self.span.clone(),
            format!("missing key `{key}` in {}", self.section),
            help,
        );
    }

    pub(crate) fn string(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
    ) -> Option<Located<String>> {
        let node = self.node(key)?;
        expect_str(d, node, key).map(|s| Located {
            value: s.to_string(),
            span: node.span.clone(),
        })
    }

    /// A string that must be one of `allowed` (with a closest-name hint otherwise).
    pub(crate) fn choice(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
        allowed: &[&str],
    ) -> Option<Located<String>> {
        let s = self.string(d, key)?;
        check_choice(d, &s, key, allowed).then_some(s)
    }

    pub(crate) fn number(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
    ) -> Option<Located<f64>> {
        let node = self.node(key)?;
        expect_number(d, node, key).map(|value| Located {
            value,
            span: node.span.clone(),
        })
    }

    /// A number that must be `> 0` and finite.
    pub(crate) fn positive(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
    ) -> Option<Located<f64>> {
        let n = self.number(d, key)?;
        if n.value > 0.0 && n.value.is_finite() {
            Some(n)
        } else {
            d.error(
                n.span.clone(),
                format!("`{key}` must be a positive number, got {}", n.value),
            );
            None
        }
    }

    pub(crate) fn count(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
    ) -> Option<Located<usize>> {
        let node = self.node(key)?;
        expect_count(d, node, key).map(|value| Located {
            value,
            span: node.span.clone(),
        })
    }

    /// An integer that must be `>= 1`.
    pub(crate) fn positive_count(
        &mut self,
        d: &mut Diagnostics,
        key: &'static str,
    ) -> Option<Located<usize>> {
        let n = self.count(d, key)?;
        if n.value == 0 {
            d.error(n.span.clone(), format!("`{key}` must be at least 1"));
            None
        } else {
            Some(n)
        }
    }

    pub(crate) fn u64(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Located<u64>> {
        let node = self.node(key)?;
        match node.value {
            NodeValue::Int(i) if i >= 0 => Some(Located {
                value: i as u64,
                span: node.span.clone(),
            }),
            _ => {
                type_error(d, node, key, "a non-negative integer");
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Located<bool>> {
        let node = self.node(key)?;
        match node.value {
            NodeValue::Bool(b) => Some(Located {
                value: b,
                span: node.span.clone(),
            }),
            _ => {
                type_error(d, node, key, "a boolean (true or false)");
                None
            }
        }
    }

    /// Reports every key that was not read, with the closest known key as a hint.
    pub(crate) fn finish(self, d: &mut Diagnostics) {
        for (entry, used) in self.entries.iter().zip(&self.used) {
            if !used {
                d.error_help(
                    entry.key_span.clone(),
                    format!("unknown key `{}` in {}", entry.key, self.section),
                    suggestion(&entry.key, &self.known),
                );
            }
        }
    }
}

/// Reports "`key` must be EXPECTED, found TYPE".
pub(crate) fn type_error(d: &mut Diagnostics, node: &Node, key: &str, expected: &str) {
    d.error(
        node.span.clone(),
        format!("`{key}` must be {expected}, found {}", describe(node)),
    );
}

fn describe(node: &Node) -> String {
    match &node.value {
        NodeValue::Str(s) => format!("the string \"{s}\""),
        NodeValue::Int(i) => format!("the integer {i}"),
        NodeValue::Float(x) => format!("the float {x}"),
        other => other.type_name().to_string(),
    }
}

pub(crate) fn expect_str<'n>(d: &mut Diagnostics, node: &'n Node, key: &str) -> Option<&'n str> {
    match &node.value {
        NodeValue::Str(s) => Some(s),
        _ => {
            type_error(d, node, key, "a string");
            None
        }
    }
}

pub(crate) fn expect_number(d: &mut Diagnostics, node: &Node, key: &str) -> Option<f64> {
    match node.value.as_f64() {
        Some(x) if x.is_finite() => Some(x),
        _ => {
            type_error(d, node, key, "a finite number");
            None
        }
    }
}

pub(crate) fn expect_count(d: &mut Diagnostics, node: &Node, key: &str) -> Option<usize> {
    match node.value {
        NodeValue::Int(i) if i >= 0 => Some(i as usize),
        _ => {
            type_error(d, node, key, "a non-negative integer");
            None
        }
    }
}

/// `true` if `s` is one of `allowed`; otherwise reports it with the closest name.
pub(crate) fn check_choice(
    d: &mut Diagnostics,
    s: &Located<String>,
    key: &str,
    allowed: &[&str],
) -> bool {
    if allowed.contains(&s.value.as_str()) {
        return true;
    }
    d.error_help(
        s.span.clone(),
        format!("unknown {key} `{}`", s.value),
        suggestion(&s.value, allowed),
    );
    false
}
