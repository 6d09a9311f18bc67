//! Twin of `shaders/affine.wgsl`.

use crate::kernels::Broadcast;

/// Twin of `affine_fwd`.
pub fn affine_fwd(s: &Broadcast, x: &[f32], scale: &[f32], shift: &[f32]) -> Vec<f32> {
    (0..s.n)
        .map(|i| {
            let c = (i / s.inner) % s.b_len;
            (x[i] as f64 * scale[c] as f64 + shift[c] as f64) as f32
        })
        .collect()
}
