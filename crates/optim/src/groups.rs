//! Parameter groups: ranges of the flat buffer with their own lr multiplier and weight decay.

use std::ops::Range;

use crate::error::OptimError;

/// A range of the flat parameter buffer updated with `lr * lr_scale` and, when set, its own
/// weight decay instead of the optimizer's (the usual use: `Some(0.0)` for biases).
/// Elements outside every group use `lr_scale = 1` and the optimizer's weight decay. The
/// weight decay here is the optimizer's own kind (coupled L2, or decoupled for AdamW, Lion and
/// `decoupled_weight_decay`); the `l1` option applies to every element alike.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamGroup {
    pub range: Range<usize>,
    pub lr_scale: f32,
    pub weight_decay: Option<f32>,
}

/// A contiguous span of the buffer with one lr multiplier and one weight decay. A list of
/// segments covers `0..len` without gaps, sorted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub range: Range<usize>,
    pub lr_scale: f32,
    pub weight_decay: f32,
}

/// Checks `groups`: non-empty ranges, no overlap, finite non-negative `lr_scale` and decay.
pub(crate) fn validate(groups: &[ParamGroup]) -> Result<Vec<ParamGroup>, OptimError> {
    let bad = |reason: String| Err(OptimError::BadGroups { reason });
    let mut sorted = groups.to_vec();
    sorted.sort_by_key(|g| g.range.start);
    for g in &sorted {
        if g.range.is_empty() {
            return bad(format!("group {:?} is empty", g.range));
        }
        if !(g.lr_scale.is_finite() && g.lr_scale >= 0.0) {
            return bad(format!(
                "group {:?} has lr_scale {} (must be finite and >= 0)",
                g.range, g.lr_scale
            ));
        }
        if let Some(wd) = g.weight_decay.filter(|wd| !(wd.is_finite() && *wd >= 0.0)) {
            return bad(format!(
                "group {:?} has weight_decay {wd} (must be finite and >= 0)",
                g.range
            ));
        }
    }
    for pair in sorted.windows(2) {
        if pair[0].range.end > pair[1].range.start {
            return bad(format!(
                "groups {:?} and {:?} overlap",
                pair[0].range, pair[1].range
            ));
        }
    }
    Ok(sorted)
}

/// Fills `out` with segments covering `0..len`: the (validated, sorted) groups, and default
/// segments (`lr_scale` 1, `default_decay`) in the gaps.
///
/// # Panics
/// When a group reaches past `len`.
pub(crate) fn segments(
    groups: &[ParamGroup],
    len: usize,
    default_decay: f32,
    out: &mut Vec<Segment>,
) {
    out.clear();
    let mut at = 0;
    for g in groups {
        assert!(
            g.range.end <= len,
            "parameter group {:?} reaches past the {len} parameters",
            g.range
        );
        if g.range.start > at {
            out.push(Segment {
                range: at..g.range.start,
                lr_scale: 1.0,
                weight_decay: default_decay,
            });
        }
        let weight_decay = g.weight_decay.unwrap_or(default_decay);
        out.push(Segment {
            range: g.range.clone(),
            lr_scale: g.lr_scale,
            weight_decay,
        });
        at = g.range.end;
    }
    if at < len || out.is_empty() {
        out.push(Segment {
            range: at..len,
            lr_scale: 1.0,
            weight_decay: default_decay,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(range: Range<usize>, lr_scale: f32, wd: Option<f32>) -> ParamGroup {
        ParamGroup {
            range,
            lr_scale,
            weight_decay: wd,
        }
    }

    #[test]
    fn gaps_get_default_segments() {
        let groups = validate(&[group(6..8, 0.5, Some(0.0)), group(2..4, 2.0, None)]).unwrap();
        let mut out = Vec::new();
        segments(&groups, 10, 0.1, &mut out);
        let spans: Vec<_> = out
            .iter()
            .map(|s| (s.range.clone(), s.lr_scale, s.weight_decay))
            .collect();
        assert_eq!(
            spans,
            vec![
                (0..2, 1.0, 0.1),
                (2..4, 2.0, 0.1),
                (4..6, 1.0, 0.1),
                (6..8, 0.5, 0.0),
                (8..10, 1.0, 0.1)
            ]
        );
    }

    #[test]
    fn overlaps_and_bad_values_are_rejected() {
        let err = validate(&[group(0..5, 1.0, None), group(4..6, 1.0, None)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter groups: groups 0..5 and 4..6 overlap"
        );
        assert!(validate(&[group(0..5, -1.0, None)]).is_err());
        assert!(validate(&[group(3..3, 1.0, None)]).is_err());
        assert!(validate(&[group(0..3, 1.0, Some(f32::NAN))]).is_err());
    }
}
