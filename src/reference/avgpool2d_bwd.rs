//! Twin of `shaders/avgpool2d_bwd.wgsl`.

use super::avgpool2d::window;
use crate::kernels::Pool2dShape;

/// Twin of `avgpool2d_bwd`: each window's `dy / divisor` spread over its clipped window.
pub fn avgpool2d_bwd(s: &Pool2dShape, count_pad: bool, dy: &[f32]) -> Vec<f32> {
    let (oh, ow, plane) = (s.out_h(), s.out_w(), s.in_h * s.in_w);
    let mut dx = vec![0f64; s.input_len()];
    for p in 0..s.planes {
        for oy in 0..oh {
            for ox in 0..ow {
                let ([y0, y1, x0, x1], div) = window(s, count_pad, oy, ox);
                let g = dy[(p * oh + oy) * ow + ox] as f64 / div;
                for iy in y0..y1 {
                    for ix in x0..x1 {
                        dx[p * plane + iy * s.in_w + ix] += g;
                    }
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}
