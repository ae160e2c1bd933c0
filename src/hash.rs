//! Small seeded-hashing helpers shared by the stages that hash (normalize, shingle, minhash).

/// 2^64 / golden ratio: an odd constant that spreads consecutive integers.
pub(crate) const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The top 32 bits of a 64-bit key (a band key, sketch feature or sampled shingle) as candidate
/// generation and an index keep it: two keys that agree on them at worst add a candidate that
/// verification then drops.
#[inline]
pub fn short(key: u64) -> u32 {
    (key >> 32) as u32
}

/// splitmix64's finalizer: a bijective mix of 64 bits (every output bit depends on every input
/// bit), so distinct inputs never collide.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
