//! Twin of `shaders/peak_fma.wgsl`.

use crate::kernels::{PEAK_C, PEAK_M};

/// Twin of `peak_fma` for `n` invocations.
pub fn peak_fma(n: usize, iterations: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let s = (i % 1024) as f64 * 0.001;
            let mut total = 0.0;
            for k in 0..16 {
                let mut a = s + 0.1 * (k % 4) as f64 + 0.4 * (k / 4) as f64;
                for _ in 0..iterations {
                    a = a * PEAK_M as f64 + PEAK_C as f64;
                }
                total += a;
            }
            total as f32
        })
        .collect()
}
