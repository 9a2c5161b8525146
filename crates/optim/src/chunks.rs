//! Fixed-size chunking of flat buffers for rayon.
//!
//! Chunk boundaries depend only on the buffer length, never on the thread count, so any
//! per-chunk work (and any reduction combined chunk by chunk in order) gives bit-identical
//! results on 1 or N threads.

/// Elements per chunk: 32768 f32 = 128 KiB per stream.
pub(crate) const CHUNK: usize = 1 << 15;

/// How many rayon tasks to run `n_chunks` chunks on: `threads` (0 = every thread of the
/// current rayon pool), at most one task per chunk. 1 means: run on the calling thread.
pub(crate) fn task_count(n_chunks: usize, threads: usize) -> usize {
    let available = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    available.min(n_chunks).max(1)
}

/// The minimum length (in chunks) of a rayon piece so that `n_chunks` chunks split into about
/// `tasks` pieces: `floor(n_chunks / tasks)`. Rayon halves a range only while both halves keep
/// the minimum, so the ceiling would leave an odd count unsplit (13 chunks with a minimum of 7
/// cannot become 6 + 7): one thread would do all the work.
pub(crate) fn chunks_per_task(n_chunks: usize, tasks: usize) -> usize {
    (n_chunks / tasks.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    /// The number of rayon pieces `n_chunks` items are cut into with the minimum length.
    fn pieces(n_chunks: usize, tasks: usize) -> usize {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(tasks)
            .build()
            .unwrap();
        pool.install(|| {
            (0..n_chunks)
                .into_par_iter()
                .with_min_len(chunks_per_task(n_chunks, tasks))
                .fold(|| 0, |_, _| 1)
                .sum()
        })
    }

    #[test]
    fn odd_chunk_counts_still_split_across_every_task() {
        for (n_chunks, tasks) in [(13, 2), (5, 2), (4, 2), (7, 3), (2, 2)] {
            assert!(
                pieces(n_chunks, tasks) >= tasks,
                "{n_chunks} chunks, {tasks} tasks"
            );
        }
        assert_eq!(pieces(1, 2), 1);
    }
}
