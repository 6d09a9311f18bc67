//! Twin of `shaders/linear.wgsl`.

use crate::kernels::{Fused, LinearShape};

/// Twin of `linear_fwd`.
pub fn linear_fwd(
    s: &LinearShape,
    act: impl Into<Fused>,
    x: &[f32],
    w: &[f32],
    b: &[f32],
) -> Vec<f32> {
    let act = act.into();
    let mut y = vec![0f32; s.batch * s.out_f];
    for n in 0..s.batch {
        let xr = &x[n * s.in_f..(n + 1) * s.in_f];
        for m in 0..s.out_f {
            let wr = &w[m * s.in_f..(m + 1) * s.in_f];
            let mut acc = b[m] as f64;
            for k in 0..s.in_f {
                acc += xr[k] as f64 * wr[k] as f64;
            }
            y[n * s.out_f + m] = act.apply(acc) as f32;
        }
    }
    y
}
