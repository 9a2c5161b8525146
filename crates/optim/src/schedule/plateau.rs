//! `ReduceLROnPlateau`: multiply the lr by `factor` when the metric stops improving.
//!
//! Reference: `torch.optim.lr_scheduler.ReduceLROnPlateau`. For each observed metric `a`:
//!
//! ```text
//! better = a < best * (1 - threshold)   (min, rel)     a < best - threshold   (min, abs)
//!          a > best * (1 + threshold)   (max, rel)     a > best + threshold   (max, abs)
//! if better: best = a, bad = 0  else: bad += 1
//! if cooling down: cooldown_left -= 1, bad = 0
//! if bad > patience: lr = max(lr * factor, min_lr) (only if that lowers lr by more than eps),
//!                    cooldown_left = cooldown, bad = 0
//! ```
//! `best` starts at +inf (min) / -inf (max).

/// The fixed settings of a plateau schedule; defaults are PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlateauConfig {
    /// `mode = "max"`; default min.
    pub maximize: bool,
    /// `threshold_mode = "rel"` (else abs); default rel.
    pub relative: bool,
    /// Default 0.1.
    pub factor: f64,
    /// Default 10.
    pub patience: usize,
    /// Default 1e-4.
    pub threshold: f64,
    /// Default 0.
    pub cooldown: usize,
    /// Default 0.
    pub min_lr: f64,
    /// Default 1e-8.
    pub eps: f64,
}

/// The state of a plateau schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plateau {
    config: PlateauConfig,
    pub lr: f64,
    best: f64,
    bad: usize,
    cooldown_left: usize,
}

impl Plateau {
    /// A fresh plateau schedule starting at `lr`.
    pub(crate) fn new(config: PlateauConfig, lr: f64) -> Plateau {
        let best = if config.maximize {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        Plateau {
            config,
            lr,
            best,
            bad: 0,
            cooldown_left: 0,
        }
    }

    fn is_better(&self, a: f64) -> bool {
        let c = &self.config;
        match (c.maximize, c.relative) {
            (false, true) => a < self.best * (1.0 - c.threshold),
            (false, false) => a < self.best - c.threshold,
            (true, true) => a > self.best * (1.0 + c.threshold),
            (true, false) => a > self.best + c.threshold,
        }
    }

    /// Takes one metric value.
    pub(crate) fn observe(&mut self, metric: f64) {
        if self.is_better(metric) {
            self.best = metric;
            self.bad = 0;
        } else {
            self.bad += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad = 0;
        }
        if self.bad > self.config.patience {
            let reduced = (self.lr * self.config.factor).max(self.config.min_lr);
            if self.lr - reduced > self.config.eps {
                self.lr = reduced;
            }
            self.cooldown_left = self.config.cooldown;
            self.bad = 0;
        }
    }
}
