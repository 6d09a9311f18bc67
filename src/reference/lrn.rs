//! Twin of `shaders/lrn.wgsl`.

/// The normalising scale `k + α/size · Σ x²` of every element (shared by the LRN twins).
pub(super) fn lrn_scales(s: &crate::kernels::LrnShape, x: &[f32]) -> Vec<f64> {
    let mut scale = vec![0f64; x.len()];
    for n in 0..s.batch {
        for c in 0..s.channels {
            let (lo, hi) = s.window(c);
            for i in 0..s.spatial {
                let sum: f64 = (lo..hi)
                    .map(|j| (x[(n * s.channels + j) * s.spatial + i] as f64).powi(2))
                    .sum();
                scale[(n * s.channels + c) * s.spatial + i] =
                    s.k as f64 + s.alpha as f64 / s.size as f64 * sum;
            }
        }
    }
    scale
}

/// Twin of `lrn_fwd`.
pub fn lrn_fwd(s: &crate::kernels::LrnShape, x: &[f32]) -> Vec<f32> {
    let scale = lrn_scales(s, x);
    x.iter()
        .zip(&scale)
        .map(|(&v, &sc)| (v as f64 * sc.powf(-s.beta as f64)) as f32)
        .collect()
}
