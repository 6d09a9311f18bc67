//! Twin of `shaders/pad2d.wgsl`.

use crate::kernels::Pad2d;

/// Twin of `pad2d_fwd`.
pub fn pad2d_fwd(s: &Pad2d, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = (s.out_h(), s.out_w());
    let mut y = vec![s.value; s.planes * oh * ow];
    for p in 0..s.planes {
        for r in 0..s.h {
            for c in 0..s.w {
                y[(p * oh + r + s.pad[0]) * ow + c + s.pad[1]] = x[(p * s.h + r) * s.w + c];
            }
        }
    }
    y
}

/// Twin of `pad2d_bwd`.
pub fn pad2d_bwd(s: &Pad2d, dy: &[f32]) -> Vec<f32> {
    let (oh, ow) = (s.out_h(), s.out_w());
    let mut dx = Vec::with_capacity(s.planes * s.h * s.w);
    for p in 0..s.planes {
        for r in 0..s.h {
            for c in 0..s.w {
                dx.push(dy[(p * oh + r + s.pad[0]) * ow + c + s.pad[1]]);
            }
        }
    }
    dx
}
