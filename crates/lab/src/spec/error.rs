//! Spec mistakes with file:line:column, rendered like a compiler diagnostic.

use std::fmt;
use std::ops::Range;

use super::source::SpecSource;

/// One mistake in a spec, located at a line and column of its file.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    /// The file as named in the message.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something to say (a closest name, how to get files, ...).
    pub help: Option<String>,
    source_line: String,
    marker_len: usize,
}

impl SpecError {
    /// `file:line:column`, the location prefix of the message.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: error: {}", self.location(), self.message)?;
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{gutter} | {}", self.source_line)?;
        write!(
            f,
            "{pad} | {}{}",
            " ".repeat(self.column - 1),
            "^".repeat(self.marker_len.max(1))
        )?;
        if let Some(help) = &self.help {
            for (i, line) in help.lines().enumerate() {
                let lead = if i == 0 { "= help: " } else { "        " };
                write!(f, "\n{pad} {lead}{line}")?;
            }
        }
        Ok(())
    }
}

/// Every mistake found in one spec (at least one).
#[derive(Clone, Debug, PartialEq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{e}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} error{} in the spec: nothing was run",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for SpecErrors {}

impl SpecErrors {
    /// A spec file that cannot be read at all.
    pub fn io(file: &str, error: &std::io::Error) -> Self {
        SpecErrors(vec![SpecError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read the spec: {error}"),
            help: None,
            source_line: String::new(),
            marker_len: 1,
        }])
    }
}

/// Collects mistakes while a spec is read, so one pass reports all of them.
pub(crate) struct Diagnostics<'s> {
    source: &'s SpecSource,
    errors: Vec<SpecError>,
}

impl<'s> Diagnostics<'s> {
    pub(crate) fn new(source: &'s SpecSource) -> Self {
        Self {
            source,
            errors: Vec::new(),
        }
    }

    pub(crate) fn source(&self) -> &'s SpecSource {
        self.source
    }

    /// Records `message` at byte range `span`.
    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(span, message.into(), None);
    }

    /// Records `message` at `span` with a `help` line.
    pub(crate) fn error_help(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(span, message.into(), Some(help.into()));
    }

    fn push(&mut self, span: Range<usize>, message: String, help: Option<String>) {
        let (line, column) = self.source.line_col(span.start);
        let source_line = self.source.line_text(line).to_string();
        let rest = source_line.chars().count().saturating_sub(column - 1);
        let span_chars = self
            .source
            .text
            .get(span.clone())
            .map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
        self.errors.push(SpecError {
            file: self.source.name.clone(),
            line,
            column,
            message,
            help,
            source_line,
            marker_len: span_chars.clamp(1, rest.max(1)),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every error in file order.
    pub(crate) fn finish<T>(mut self, value: T) -> Result<T, SpecErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            self.errors.sort_by_key(|e| (e.line, e.column));
            Err(SpecErrors(self.errors))
        }
    }
}
