//! The stop rules applied while training.

use super::setup::StopRules;

impl StopRules {
    /// Why a step's batch `loss` counts as divergence, given the first step's loss; `None`
    /// while training is healthy. Checks, in order: NaN/infinite, `loss > max_loss`,
    /// `loss > divergence_factor * initial_loss`.
    pub(crate) fn divergence(&self, loss: f32, initial_loss: f32) -> Option<String> {
        if !loss.is_finite() {
            return Some(format!("loss is {loss}"));
        }
        if let Some(max) = self.max_loss.filter(|&max| loss > max) {
            return Some(format!("loss {loss} exceeds max_loss {max}"));
        }
        let limit = self.divergence_factor * initial_loss;
        (loss > limit).then(|| {
            format!(
                "loss {loss} exceeds {} x the initial loss {initial_loss}",
                self.divergence_factor
            )
        })
    }

    /// True when a row's train `loss` (after a previous row's `previous`, if any) meets the
    /// loss tolerance or the change tolerance.
    pub(crate) fn reached_tolerance(&self, loss: f32, previous: Option<f32>) -> bool {
        let below = self.loss_tolerance.is_some_and(|tol| loss <= tol);
        let flat = match (self.change_tolerance, previous) {
            (Some(tol), Some(prev)) => (loss - prev).abs() < tol,
            _ => false,
        };
        below || flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_reasons() {
        let rules = StopRules {
            max_loss: Some(50.0),
            ..StopRules::default()
        };
        assert_eq!(
            rules.divergence(f32::NAN, 1.0).as_deref(),
            Some("loss is NaN")
        );
        assert_eq!(
            rules.divergence(f32::INFINITY, 1.0).as_deref(),
            Some("loss is inf")
        );
        assert_eq!(
            rules.divergence(60.0, 1.0).as_deref(),
            Some("loss 60 exceeds max_loss 50")
        );
        assert_eq!(rules.divergence(40.0, 1.0), None);
        let rules = StopRules::default();
        assert_eq!(rules.divergence(999.0, 1.0), None);
        assert_eq!(
            rules.divergence(1001.0, 1.0).as_deref(),
            Some("loss 1001 exceeds 1000 x the initial loss 1")
        );
    }

    #[test]
    fn tolerances() {
        let none = StopRules::default();
        assert!(!none.reached_tolerance(0.0, Some(0.0)));
        let below = StopRules {
            loss_tolerance: Some(0.1),
            ..StopRules::default()
        };
        assert!(below.reached_tolerance(0.1, None));
        assert!(!below.reached_tolerance(0.11, Some(0.11)));
        let flat = StopRules {
            change_tolerance: Some(1e-3),
            ..StopRules::default()
        };
        assert!(!flat.reached_tolerance(0.5, None));
        assert!(flat.reached_tolerance(0.5, Some(0.5005)));
        assert!(!flat.reached_tolerance(0.5, Some(0.502)));
    }
}
