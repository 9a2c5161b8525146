//! Loss and accuracy of a model over a whole data set, gathered in fixed-size chunks.

use descent_autograd::{Mlp, Par};
use descent_data::{Batch, Batcher, Dataset};

use super::targets::loss_targets;

/// Rows per gathered chunk: bounds the f32 copy of a large u8 data set.
const EVAL_ROWS: usize = 1000;

/// Evaluates a model on one data set with reused buffers.
pub(crate) struct Evaluator {
    batcher: Batcher,
    batch: Batch,
}

impl Evaluator {
    pub(crate) fn new(data: &Dataset) -> Self {
        Self {
            batcher: Batcher::new(data.len(), EVAL_ROWS, false, 0),
            batch: Batch::default(),
        }
    }

    /// `(mean loss, accuracy)` over every row of `data`: the chunk results weighted by rows.
    pub(crate) fn run(&mut self, model: &mut Mlp, data: &Dataset, par: Par) -> (f32, Option<f32>) {
        let (mut loss_sum, mut correct_sum, mut rows) = (0.0f64, None::<f64>, 0usize);
        self.batcher.start_epoch(0);
        while self.batcher.next_batch(data, &mut self.batch) {
            let n = self.batch.rows;
            let (loss, accuracy) = model.evaluate(
                &self.batch.x,
                n,
                loss_targets(data, &self.batch.labels, &self.batch.values),
                par,
            );
            loss_sum += f64::from(loss) * n as f64;
            if let Some(acc) = accuracy {
                *correct_sum.get_or_insert(0.0) += f64::from(acc) * n as f64;
            }
            rows += n;
        }
        let rows = rows as f64;
        (
            (loss_sum / rows) as f32,
            correct_sum.map(|c| (c / rows) as f32),
        )
    }
}
