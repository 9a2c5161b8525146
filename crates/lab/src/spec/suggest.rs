//! "Did you mean ...?": the closest valid name by edit distance.

pub use descent_optim::edit_distance;

/// The candidate closest to `word` (case-insensitive), if it is plausibly a typo: at most
/// a third of the longer name's length away, or one is a prefix (of 3+ characters) of the other.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let prefix = |a: &str, b: &str| a.len() >= 3 && b.starts_with(a);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| {
            *d <= lower.chars().count().max(c.len()).div_ceil(3)
                || prefix(&lower, c)
                || prefix(c, &lower)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or a list of the valid names when nothing is close.
pub fn suggestion(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!(
            "expected one of: {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("adam", "adam"), 0);
        assert_eq!(edit_distance("", "sgd"), 3);
        assert_eq!(edit_distance("adma", "adam"), 2);
    }

    #[test]
    fn closest_picks_the_typo_target_and_rejects_unrelated_words() {
        let names = ["sgd", "adam", "adamw", "rmsprop", "nesterov"];
        assert_eq!(closest("adamm", names), Some("adam"));
        assert_eq!(closest("RMSProp", names), Some("rmsprop"));
        assert_eq!(closest("nestrov", names), Some("nesterov"));
        assert_eq!(closest("banana", names), None);
        assert_eq!(
            suggestion("banana", &["a", "b"]),
            "expected one of: `a`, `b`"
        );
    }
}
