//! A portable, stable 64-bit hash for trial ids and spec fingerprints.
//!
//! FNV-1a (Fowler–Noll–Vo, variant 1a) over bytes: start from the offset basis
//! `h = 0xcbf29ce484222325`, then for every byte `b`: `h = (h XOR b) * 0x100000001b3 (mod 2^64)`.
//! Unlike std's `RandomState` it is the same on every run, machine and Rust version, so the id
//! of a trial never changes as long as its canonical configuration does not.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The hash of `bytes` as 16 lowercase hex digits.
pub fn hex_id(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a64(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_fnv1a_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(hex_id(b"a"), "af63dc4c8601ec8c");
    }
}
