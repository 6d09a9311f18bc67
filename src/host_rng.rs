//! The host's random streams (CPPN mutations, training's shuffles, random weights): ChaCha12
//! from `rand_chacha`, named here so that every stream is fixed by this crate and not by
//! rand's version (`rand::rngs::StdRng` is documented as free to change between releases,
//! which would silently change every CPPN run and trained network, and break "a resumed run
//! equals an uninterrupted one" across versions). `tests/suite/golden.rs` pins the first
//! values of each stream. The device draws its own numbers by a counter hash
//! (`evo::rng`).

use rand::SeedableRng;

/// The host's generator.
pub type HostRng = rand_chacha::ChaCha12Rng;

/// The generator of `seed` (rand_core's expansion of a u64 seed).
pub fn host_rng(seed: u64) -> HostRng {
    HostRng::seed_from_u64(seed)
}
