//! Explicit parallelism, in the style of faer's `Par`.

/// How many threads a kernel may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Par {
    /// Run on the calling thread only.
    Seq,
    /// Use up to this many threads of the current rayon pool.
    Rayon(usize),
}

impl Par {
    /// `Par::Seq` for `threads <= 1`, else `Par::Rayon(threads)`.
    pub fn threads(threads: usize) -> Self {
        if threads <= 1 {
            Par::Seq
        } else {
            Par::Rayon(threads)
        }
    }

    /// The number of threads this allows.
    pub fn degree(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.max(1),
        }
    }
}
