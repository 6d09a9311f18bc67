//! Twin of `shaders/mul_bwd.wgsl`.

use crate::kernels::Broadcast;

/// Twin of `mul_bwd_b`.
pub fn mul_bwd_b(s: &Broadcast, dy: &[f32], a: &[f32]) -> Vec<f32> {
    (0..s.b_len)
        .map(|j| {
            (j * s.inner..(j + 1) * s.inner)
                .map(|i| dy[i] as f64 * a[i] as f64)
                .sum::<f64>() as f32
        })
        .collect()
}
