//! "Did you mean ...?": the closest valid name by edit distance.

/// Levenshtein distance (insertions, deletions, substitutions each cost 1), by the classic
/// two-row dynamic programme: `d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + [a_i != b_j])`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

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
