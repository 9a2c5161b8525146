//! Hyperparameters by PyTorch name, and a reader that applies defaults, checks types and ranges,
//! and rejects keys nobody asked for.

use std::collections::BTreeMap;

use crate::error::{OptimError, closest};

/// One hyperparameter value as a sweep spec or a PyTorch JSON dict gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum HyperValue {
    Number(f64),
    Bool(bool),
    List(Vec<f64>),
    Text(String),
}

/// Hyperparameters keyed by their PyTorch names (`lr`, `betas`, `weight_decay`, `T_max`, ...).
pub type Hyper = BTreeMap<String, HyperValue>;

/// Reads typed hyperparameters out of a [`Hyper`] for one optimizer or schedule (`owner`),
/// remembering every key asked for so [`HyperReader::finish`] can reject the rest.
pub(crate) struct HyperReader<'a> {
    owner: String,
    hyper: &'a Hyper,
    known: Vec<&'static str>,
}

impl<'a> HyperReader<'a> {
    pub(crate) fn new(owner: impl Into<String>, hyper: &'a Hyper) -> Self {
        HyperReader {
            owner: owner.into(),
            hyper,
            known: Vec::new(),
        }
    }

    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    fn get(&mut self, key: &'static str) -> Option<&'a HyperValue> {
        self.known.push(key);
        self.hyper.get(key)
    }

    fn wrong_type(&self, key: &str, expected: &'static str) -> OptimError {
        OptimError::WrongType {
            owner: self.owner.clone(),
            key: key.to_string(),
            expected,
        }
    }

    /// An error for `key` = `value` that breaks `reason`.
    pub(crate) fn invalid(&self, key: &str, value: impl ToString, reason: &str) -> OptimError {
        OptimError::InvalidValue {
            owner: self.owner.clone(),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A number, `default` when absent.
    pub(crate) fn number(&mut self, key: &'static str, default: f64) -> Result<f64, OptimError> {
        Ok(self.optional_number(key)?.unwrap_or(default))
    }

    /// A number, `None` when absent.
    pub(crate) fn optional_number(&mut self, key: &'static str) -> Result<Option<f64>, OptimError> {
        match self.get(key) {
            None => Ok(None),
            Some(HyperValue::Number(x)) if x.is_finite() => Ok(Some(*x)),
            Some(HyperValue::Number(x)) => Err(self.invalid(key, x, "must be finite")),
            Some(_) => Err(self.wrong_type(key, "a number")),
        }
    }

    /// A number `>= 0`.
    pub(crate) fn non_negative(
        &mut self,
        key: &'static str,
        default: f64,
    ) -> Result<f64, OptimError> {
        let x = self.number(key, default)?;
        if x < 0.0 {
            return Err(self.invalid(key, x, "must be >= 0"));
        }
        Ok(x)
    }

    /// A number in `[0, 1)`, the range of every decay rate / beta.
    pub(crate) fn unit_interval(
        &mut self,
        key: &'static str,
        default: f64,
    ) -> Result<f64, OptimError> {
        let x = self.number(key, default)?;
        check_unit(self, key, x)?;
        Ok(x)
    }

    /// A whole number `>= min`, `None` when absent.
    pub(crate) fn optional_count(
        &mut self,
        key: &'static str,
        min: usize,
    ) -> Result<Option<usize>, OptimError> {
        match self.optional_number(key)? {
            None => Ok(None),
            Some(x) if x.fract() == 0.0 && x >= min as f64 => Ok(Some(x as usize)),
            Some(x) => Err(self.invalid(key, x, &format!("must be a whole number >= {min}"))),
        }
    }

    /// A whole number `>= min`, `default` when absent.
    pub(crate) fn count(
        &mut self,
        key: &'static str,
        default: usize,
        min: usize,
    ) -> Result<usize, OptimError> {
        Ok(self.optional_count(key, min)?.unwrap_or(default))
    }

    /// A boolean, `default` when absent.
    pub(crate) fn boolean(&mut self, key: &'static str, default: bool) -> Result<bool, OptimError> {
        match self.get(key) {
            None => Ok(default),
            Some(HyperValue::Bool(b)) => Ok(*b),
            Some(_) => Err(self.wrong_type(key, "true or false")),
        }
    }

    /// A list of numbers, `default` when absent.
    pub(crate) fn list(
        &mut self,
        key: &'static str,
        default: &[f64],
    ) -> Result<Vec<f64>, OptimError> {
        match self.get(key) {
            None => Ok(default.to_vec()),
            Some(HyperValue::List(v)) if v.iter().all(|x| x.is_finite()) => Ok(v.clone()),
            Some(HyperValue::List(v)) => Err(self.invalid(key, format!("{v:?}"), "must be finite")),
            Some(_) => Err(self.wrong_type(key, "a list of numbers")),
        }
    }

    /// A pair of numbers such as `betas = [0.9, 0.999]`.
    pub(crate) fn pair(
        &mut self,
        key: &'static str,
        default: (f64, f64),
    ) -> Result<(f64, f64), OptimError> {
        match self.list(key, &[default.0, default.1])?.as_slice() {
            &[a, b] => Ok((a, b)),
            other => Err(self.invalid(key, format!("{other:?}"), "must hold exactly two numbers")),
        }
    }

    /// A pair of decay rates, each in `[0, 1)`.
    pub(crate) fn betas(
        &mut self,
        key: &'static str,
        default: (f64, f64),
    ) -> Result<(f64, f64), OptimError> {
        let (a, b) = self.pair(key, default)?;
        check_unit(self, key, a)?;
        check_unit(self, key, b)?;
        Ok((a, b))
    }

    /// A text value that must be one of `choices`, `default` when absent.
    pub(crate) fn choice(
        &mut self,
        key: &'static str,
        default: &'static str,
        choices: &[&'static str],
    ) -> Result<&'static str, OptimError> {
        let text = self.text(key)?.unwrap_or(default);
        choices
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                self.invalid(
                    key,
                    format!("\"{text}\""),
                    &format!("must be one of {choices:?}"),
                )
            })
    }

    /// A text value, `None` when absent.
    pub(crate) fn text(&mut self, key: &'static str) -> Result<Option<&'a str>, OptimError> {
        match self.get(key) {
            None => Ok(None),
            Some(HyperValue::Text(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.wrong_type(key, "a text value")),
        }
    }

    /// Fails on the first key that was never asked for, suggesting the closest known key.
    pub(crate) fn finish(self) -> Result<(), OptimError> {
        match self
            .hyper
            .keys()
            .find(|k| !self.known.contains(&k.as_str()))
        {
            None => Ok(()),
            Some(key) => Err(OptimError::UnknownHyper {
                owner: self.owner,
                key: key.clone(),
                suggestion: closest(key, self.known.iter().copied()).map(str::to_string),
            }),
        }
    }
}

fn check_unit(reader: &HyperReader<'_>, key: &str, x: f64) -> Result<(), OptimError> {
    if (0.0..1.0).contains(&x) {
        Ok(())
    } else {
        Err(reader.invalid(key, x, "must be in [0, 1)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyper(entries: &[(&str, HyperValue)]) -> Hyper {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn defaults_apply_and_unknown_keys_are_named_with_a_suggestion() {
        let h = hyper(&[("momentun", HyperValue::Number(0.9))]);
        let mut r = HyperReader::new("SGD", &h);
        assert_eq!(r.number("momentum", 0.0).unwrap(), 0.0);
        r.number("dampening", 0.0).unwrap();
        let err = r.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "SGD: unknown hyperparameter `momentun`; did you mean `momentum`?"
        );
    }

    #[test]
    fn wrong_types_and_ranges_are_rejected_with_the_key() {
        let h = hyper(&[
            ("betas", HyperValue::List(vec![0.9, 1.5])),
            ("eps", HyperValue::Bool(true)),
        ]);
        let mut r = HyperReader::new("Adam", &h);
        let err = r.betas("betas", (0.9, 0.999)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Adam: invalid `betas` = 1.5: must be in [0, 1)"
        );
        let err = r.number("eps", 1e-8).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Adam: hyperparameter `eps` must be a number"
        );
    }

    #[test]
    fn counts_must_be_whole() {
        let h = hyper(&[("step_size", HyperValue::Number(2.5))]);
        let mut r = HyperReader::new("StepLR", &h);
        assert!(r.count("step_size", 1, 1).is_err());
    }
}
