//! Errors of the optimizer, schedule and hyperparameter front end.

use std::fmt;

/// What went wrong when building an optimizer or a schedule, or configuring parameter groups.
///
/// Every variant names the optimizer / schedule (`owner`) and the offending hyperparameter, so a
/// sweep spec that misspells something is told exactly what and where.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimError {
    /// The optimizer or schedule name is not known; `suggestion` is the closest valid name.
    UnknownName {
        what: &'static str,
        name: String,
        suggestion: String,
    },
    /// A hyperparameter key the optimizer / schedule does not take.
    UnknownHyper {
        owner: String,
        key: String,
        suggestion: Option<String>,
    },
    /// A hyperparameter of the wrong type (e.g. a list where a number is expected).
    WrongType {
        owner: String,
        key: String,
        expected: &'static str,
    },
    /// A hyperparameter outside its valid range.
    InvalidValue {
        owner: String,
        key: String,
        value: String,
        reason: String,
    },
    /// A hyperparameter the schedule needs and cannot default (e.g. `T_max` without total steps).
    Missing { owner: String, key: String },
    /// Parameter groups that overlap or are malformed.
    BadGroups { reason: String },
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimError::UnknownName {
                what,
                name,
                suggestion,
            } => {
                write!(f, "unknown {what} `{name}`; did you mean `{suggestion}`?")
            }
            OptimError::UnknownHyper {
                owner,
                key,
                suggestion,
            } => {
                write!(f, "{owner}: unknown hyperparameter `{key}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(f, " ({owner} takes no hyperparameters)"),
                }
            }
            OptimError::WrongType {
                owner,
                key,
                expected,
            } => {
                write!(f, "{owner}: hyperparameter `{key}` must be {expected}")
            }
            OptimError::InvalidValue {
                owner,
                key,
                value,
                reason,
            } => {
                write!(f, "{owner}: invalid `{key}` = {value}: {reason}")
            }
            OptimError::Missing { owner, key } => {
                write!(f, "{owner}: hyperparameter `{key}` is required here")
            }
            OptimError::BadGroups { reason } => write!(f, "invalid parameter groups: {reason}"),
        }
    }
}

impl std::error::Error for OptimError {}

/// The candidate closest to `name` by edit distance (case-insensitive), first one on ties.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .min_by_key(|c| edit_distance(&lower, &c.to_ascii_lowercase()))
}

/// Levenshtein distance: the fewest single-character insertions, deletions and substitutions
/// turning `a` into `b`, by the two-row dynamic programme
/// `d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + [a_i != b_j])`.
/// Also used by descent-lab's spec errors.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("adam", "adam"), 0);
        assert_eq!(edit_distance("adamw", "adam"), 1);
    }

    #[test]
    fn closest_ignores_case() {
        assert_eq!(closest("ADMA", ["sgd", "adam", "adamax"]), Some("adam"));
        assert_eq!(
            closest("momentun", ["momentum", "nesterov"]),
            Some("momentum")
        );
    }
}
