//! Twin of `shaders/conv2d_bwd.wgsl`.

use super::conv2d::conv_terms;
use crate::kernels::Conv2dShape;

/// Twin of `conv2d_bwd_input`: dx `(batch, in_c, in_h, in_w)`.
pub fn conv2d_bwd_input(s: &Conv2dShape, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0f64; s.input_len()];
    conv_terms(s, |xi, wi, yi| dx[xi] += w[wi] as f64 * dy[yi] as f64);
    dx.into_iter().map(|v| v as f32).collect()
}

/// Twin of `conv2d_bwd_weight`: dw `(out_c, in_c / groups, kh, kw)`.
pub fn conv2d_bwd_weight(s: &Conv2dShape, dy: &[f32], x: &[f32]) -> Vec<f32> {
    let mut dw = vec![0f64; s.weight_len()];
    conv_terms(s, |xi, wi, yi| dw[wi] += x[xi] as f64 * dy[yi] as f64);
    dw.into_iter().map(|v| v as f32).collect()
}
