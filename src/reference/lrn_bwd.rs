//! Twin of `shaders/lrn_bwd.wgsl`.

use super::lrn::lrn_scales;

/// Twin of `lrn_bwd`, written as the transpose of the Jacobian: every output `c` sends
/// `dy[c] · ∂y[c]/∂x[j]` to each `j` of its window.
pub fn lrn_bwd(s: &crate::kernels::LrnShape, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let scale = lrn_scales(s, x);
    let (alpha, beta, size) = (s.alpha as f64, s.beta as f64, s.size as f64);
    let mut dx = vec![0f64; x.len()];
    for n in 0..s.batch {
        for c in 0..s.channels {
            let (lo, hi) = s.window(c);
            for i in 0..s.spatial {
                let e = (n * s.channels + c) * s.spatial + i;
                let (g, xc, sc) = (dy[e] as f64, x[e] as f64, scale[e]);
                dx[e] += g * sc.powf(-beta);
                for j in lo..hi {
                    let ej = (n * s.channels + j) * s.spatial + i;
                    dx[ej] -=
                        g * xc * beta * sc.powf(-beta - 1.0) * 2.0 * alpha / size * x[ej] as f64;
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}
