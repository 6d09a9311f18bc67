//! Twin of `shaders/maxpool2d_bwd.wgsl`.

use crate::kernels::Pool2dShape;

/// Twin of `maxpool2d_bwd`: dy routed to each window's arg-max, summed where windows overlap.
pub fn maxpool2d_bwd(s: &Pool2dShape, dy: &[f32], arg: &[u32]) -> Vec<f32> {
    let (oh, ow, plane) = (s.out_h(), s.out_w(), s.in_h * s.in_w);
    let mut dx = vec![0f64; s.input_len()];
    for p in 0..s.planes {
        for o in 0..oh * ow {
            dx[p * plane + arg[p * oh * ow + o] as usize] += dy[p * oh * ow + o] as f64;
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}
