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

/// Chunks per rayon task so that `tasks` tasks cover `n_chunks` chunks.
pub(crate) fn chunks_per_task(n_chunks: usize, tasks: usize) -> usize {
    n_chunks.div_ceil(tasks).max(1)
}
