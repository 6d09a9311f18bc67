//! Twin of `shaders/mul.wgsl`.

use crate::kernels::Broadcast;

/// Twin of `mul_fwd`.
pub fn mul_fwd(s: &Broadcast, a: &[f32], b: &[f32]) -> Vec<f32> {
    (0..s.n)
        .map(|i| (a[i] as f64 * b[(i / s.inner) % s.b_len] as f64) as f32)
        .collect()
}
