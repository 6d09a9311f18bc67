//! Twin of `shaders/linear_bwd.wgsl`.

use crate::kernels::LinearShape;

/// Twin of `linear_bwd_input`: dx `(batch, in_f)` = dy · w.
pub fn linear_bwd_input(s: &LinearShape, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0f32; s.batch * s.in_f];
    for n in 0..s.batch {
        for k in 0..s.in_f {
            let mut acc = 0f64;
            for m in 0..s.out_f {
                acc += dy[n * s.out_f + m] as f64 * w[m * s.in_f + k] as f64;
            }
            dx[n * s.in_f + k] = acc as f32;
        }
    }
    dx
}

/// Twin of `linear_bwd_weight`: dw `(out_f, in_f)` = dyᵀ · x.
pub fn linear_bwd_weight(s: &LinearShape, dy: &[f32], x: &[f32]) -> Vec<f32> {
    let mut dw = vec![0f32; s.out_f * s.in_f];
    for m in 0..s.out_f {
        for k in 0..s.in_f {
            let mut acc = 0f64;
            for n in 0..s.batch {
                acc += dy[n * s.out_f + m] as f64 * x[n * s.in_f + k] as f64;
            }
            dw[m * s.in_f + k] = acc as f32;
        }
    }
    dw
}
