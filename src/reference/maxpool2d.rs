//! Twin of `shaders/maxpool2d.wgsl`.

use crate::kernels::Pool2dShape;

/// Twin of `maxpool2d_fwd`: (maxima, arg-max index within the input plane).
pub fn maxpool2d_fwd(s: &Pool2dShape, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
    let (oh, ow) = (s.out_h(), s.out_w());
    let mut y = vec![0f32; s.output_len()];
    let mut arg = vec![0u32; s.output_len()];
    for p in 0..s.planes {
        let plane = &x[p * s.in_h * s.in_w..(p + 1) * s.in_h * s.in_w];
        for oy in 0..oh {
            for ox in 0..ow {
                let y0 = (oy * s.stride[0]) as isize - s.pad[0] as isize;
                let x0 = (ox * s.stride[1]) as isize - s.pad[1] as isize;
                let y1 = (y0 + s.kernel[0] as isize).min(s.in_h as isize);
                let x1 = (x0 + s.kernel[1] as isize).min(s.in_w as isize);
                let (mut best, mut at) = (f32::MIN, 0u32);
                for iy in y0.max(0)..y1 {
                    for ix in x0.max(0)..x1 {
                        let i = iy as usize * s.in_w + ix as usize;
                        if plane[i] > best {
                            best = plane[i];
                            at = i as u32;
                        }
                    }
                }
                y[(p * oh + oy) * ow + ox] = best;
                arg[(p * oh + oy) * ow + ox] = at;
            }
        }
    }
    (y, arg)
}
