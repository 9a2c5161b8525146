//! Weight initialisers, all drawn from a seeded [`descent_rng::Rng`] (portable: the same seed
//! gives the same weights on every machine).
//!
//! `fan_in` and `fan_out` are a linear layer's input and output widths.

use descent_rng::Rng;

/// How a linear layer's weights and bias are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// PyTorch's `nn.Linear` default: `kaiming_uniform(a = sqrt(5))`, i.e.
    /// `W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
    PytorchDefault,
    /// `W ~ N(0, std^2)`, `b = 0`.
    Normal { std: f32 },
    /// `W ~ U(-bound, bound)`, `b = 0`.
    Uniform { bound: f32 },
    /// Glorot: `W ~ N(0, 2 / (fan_in + fan_out))`, `b = 0`.
    XavierNormal,
    /// Glorot: `W ~ U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`, `b = 0`.
    XavierUniform,
    /// Kaiming (ReLU gain, fan-in mode): `W ~ N(0, 2 / fan_in)`, `b = 0`.
    HeNormal,
    /// Kaiming (ReLU gain, fan-in mode): `W ~ U(-a, a)` with `a = sqrt(6 / fan_in)`, `b = 0`.
    HeUniform,
}

/// The distribution of one initialised value.
enum Draw {
    Normal(f32),
    Uniform(f32),
    Zero,
}

impl Draw {
    fn fill(&self, out: &mut [f32], rng: &mut Rng) {
        match *self {
            Draw::Normal(std) => out.iter_mut().for_each(|w| *w = rng.normal(0.0, std)),
            Draw::Uniform(a) => out.iter_mut().for_each(|w| *w = rng.uniform_range(-a, a)),
            Draw::Zero => out.fill(0.0),
        }
    }
}

impl Init {
    fn weight_draw(self, fan_in: usize, fan_out: usize) -> Draw {
        let (fi, fo) = (fan_in as f32, fan_out as f32);
        match self {
            Init::PytorchDefault => Draw::Uniform(1.0 / fi.sqrt()),
            Init::Normal { std } => Draw::Normal(std),
            Init::Uniform { bound } => Draw::Uniform(bound),
            Init::XavierNormal => Draw::Normal((2.0 / (fi + fo)).sqrt()),
            Init::XavierUniform => Draw::Uniform((6.0 / (fi + fo)).sqrt()),
            Init::HeNormal => Draw::Normal((2.0 / fi).sqrt()),
            Init::HeUniform => Draw::Uniform((6.0 / fi).sqrt()),
        }
    }

    fn bias_draw(self, fan_in: usize) -> Draw {
        match self {
            Init::PytorchDefault => Draw::Uniform(1.0 / (fan_in as f32).sqrt()),
            _ => Draw::Zero,
        }
    }

    /// Fills a `[fan_in x fan_out]` weight (row-major) and its bias of length `fan_out`,
    /// weights first, from `rng`.
    pub fn fill(self, weight: &mut [f32], bias: &mut [f32], fan_in: usize, rng: &mut Rng) {
        assert!(fan_in > 0, "Init::fill: fan_in is 0");
        let fan_out = bias.len();
        assert_eq!(
            weight.len(),
            fan_in * fan_out,
            "Init::fill: weight is not fan_in x fan_out"
        );
        self.weight_draw(fan_in, fan_out).fill(weight, rng);
        self.bias_draw(fan_in).fill(bias, rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(x: &[f32]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = x
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    /// Draws a 400 x 300 layer and returns (weights, bias).
    fn draw(init: Init, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let (fan_in, fan_out) = (400, 300);
        let mut w = vec![f32::NAN; fan_in * fan_out];
        let mut b = vec![f32::NAN; fan_out];
        init.fill(&mut w, &mut b, fan_in, &mut Rng::seed_from(seed));
        (w, b)
    }

    /// Checks mean 0 and the expected variance within 3% (120k draws: the standard error of
    /// the variance estimate is under 0.5%).
    fn assert_weight_variance(init: Init, expected_var: f64) {
        let (w, _) = draw(init, 11);
        let (mean, var) = moments(&w);
        let sd = expected_var.sqrt();
        assert!(mean.abs() < 0.01 * sd, "{init:?}: mean {mean}");
        assert!(
            (var / expected_var - 1.0).abs() < 0.03,
            "{init:?}: var {var} vs {expected_var}"
        );
    }

    #[test]
    fn weight_variances_match_their_formulas() {
        let (fi, fo) = (400.0, 300.0);
        // U(-a, a) has variance a^2 / 3.
        assert_weight_variance(Init::PytorchDefault, 1.0 / fi / 3.0);
        assert_weight_variance(Init::Normal { std: 0.05 }, 0.0025);
        assert_weight_variance(Init::Uniform { bound: 0.2 }, 0.04 / 3.0);
        assert_weight_variance(Init::XavierNormal, 2.0 / (fi + fo));
        assert_weight_variance(Init::XavierUniform, 2.0 / (fi + fo));
        assert_weight_variance(Init::HeNormal, 2.0 / fi);
        assert_weight_variance(Init::HeUniform, 2.0 / fi);
    }

    #[test]
    fn uniform_inits_stay_inside_their_bounds_and_reach_them() {
        for (init, a) in [
            (Init::PytorchDefault, 0.05f32),
            (Init::Uniform { bound: 0.2 }, 0.2),
            (Init::XavierUniform, (6.0f32 / 700.0).sqrt()),
            (Init::HeUniform, (6.0f32 / 400.0).sqrt()),
        ] {
            let (w, _) = draw(init, 3);
            let max = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(
                max <= a && max > 0.99 * a,
                "{init:?}: max |w| {max}, bound {a}"
            );
        }
    }

    #[test]
    fn pytorch_default_draws_the_bias_others_zero_it() {
        let (_, b) = draw(Init::PytorchDefault, 5);
        assert!(b.iter().all(|&v| v.abs() <= 0.05));
        let (mean, var) = moments(&b);
        assert!(
            mean.abs() < 0.01 && (var / (0.0025 / 3.0) - 1.0).abs() < 0.25,
            "{mean} {var}"
        );
        for init in [
            Init::HeNormal,
            Init::XavierUniform,
            Init::Normal { std: 1.0 },
        ] {
            assert!(draw(init, 5).1.iter().all(|&v| v == 0.0), "{init:?}");
        }
    }

    #[test]
    fn same_seed_same_weights_other_seed_other_weights() {
        for init in [Init::PytorchDefault, Init::HeNormal, Init::XavierUniform] {
            assert_eq!(draw(init, 42), draw(init, 42));
            assert_ne!(draw(init, 42).0, draw(init, 43).0);
        }
    }
}
