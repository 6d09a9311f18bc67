//! The counter-based random numbers shared by the device and the host: a draw is a pure
//! function of (seed, generation, item, gene, stream), so results do not depend on the
//! dispatch shape and the CPU twins draw exactly the bits the shaders draw.

/// Chris Wellons' lowbias32 integer hash (as `hash` in shaders/include/counter_hash.wgsl).
pub fn hash(v: u32) -> u32 {
    let mut x = v;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// A uniform draw in [0, 1) with 24 random bits (as `uniform01` in the shaders).
pub fn uniform01(seed: u32, generation: u32, item: u32, gene: u32, stream: u32) -> f32 {
    let h = hash(seed ^ hash(generation ^ hash(item ^ hash(gene ^ hash(stream)))));
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_and_distinct_per_counter() {
        let n = 100_000u32;
        let draws: Vec<f32> = (0..n).map(|i| uniform01(7, 3, i, 11, 0)).collect();
        let mean = draws.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        assert!(draws.iter().all(|&v| (0.0..1.0).contains(&v)));
        let mut buckets = [0u32; 10];
        for &v in &draws {
            buckets[(v * 10.0) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&b| (9_500..10_500).contains(&b)),
            "{buckets:?}"
        );
        // every counter field changes the draw
        let base = uniform01(1, 2, 3, 4, 5);
        for other in [
            uniform01(9, 2, 3, 4, 5),
            uniform01(1, 9, 3, 4, 5),
            uniform01(1, 2, 9, 4, 5),
            uniform01(1, 2, 3, 9, 5),
            uniform01(1, 2, 3, 4, 9),
        ] {
            assert_ne!(base, other);
        }
    }
}
