//! Gradient norms: the global one and one per parameter block, which is how a user sees
//! vanishing or exploding gradients layer by layer.

use std::ops::Range;

use descent_kernels::elementwise::sum_squares;

/// `(||g||_2, [||g_block||_2 for each block])`, sums of squares accumulated in f64.
pub(crate) fn grad_norms(grads: &[f32], blocks: &[(String, Range<usize>)]) -> (f32, Vec<f32>) {
    let global = sum_squares(grads).sqrt() as f32;
    let per_block = blocks
        .iter()
        .map(|(_, range)| sum_squares(&grads[range.clone()]).sqrt() as f32)
        .collect();
    (global, per_block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_of_known_blocks() {
        let grads = [3.0, 4.0, 0.0, 12.0];
        let blocks = vec![("w".to_string(), 0..2), ("b".to_string(), 2..4)];
        let (global, per_block) = grad_norms(&grads, &blocks);
        assert_eq!(global, 13.0);
        assert_eq!(per_block, vec![5.0, 12.0]);
    }
}
