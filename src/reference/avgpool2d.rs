//! Twin of `shaders/avgpool2d.wgsl`.

use crate::kernels::Pool2dShape;

/// Window `(oy, ox)`'s rows `[y0, y1)` and columns `[x0, x1)` clipped to the image, and its
/// divisor (counting the padding inside the padded input when `count_pad`).
pub(super) fn window(s: &Pool2dShape, count_pad: bool, oy: usize, ox: usize) -> ([usize; 4], f64) {
    let y0 = (oy * s.stride[0]) as isize - s.pad[0] as isize;
    let x0 = (ox * s.stride[1]) as isize - s.pad[1] as isize;
    let (ye, xe) = (y0 + s.kernel[0] as isize, x0 + s.kernel[1] as isize);
    let clip = [
        y0.max(0) as usize,
        ye.min(s.in_h as isize) as usize,
        x0.max(0) as usize,
        xe.min(s.in_w as isize) as usize,
    ];
    let count = if count_pad {
        (ye.min((s.in_h + s.pad[2]) as isize) - y0) * (xe.min((s.in_w + s.pad[3]) as isize) - x0)
    } else {
        ((clip[1] - clip[0]) * (clip[3] - clip[2])) as isize
    };
    (clip, count.max(1) as f64)
}

/// Twin of `avgpool2d_fwd`.
pub fn avgpool2d_fwd(s: &Pool2dShape, count_pad: bool, x: &[f32]) -> Vec<f32> {
    let (oh, ow, plane) = (s.out_h(), s.out_w(), s.in_h * s.in_w);
    let mut y = vec![0f32; s.output_len()];
    for p in 0..s.planes {
        for oy in 0..oh {
            for ox in 0..ow {
                let ([y0, y1, x0, x1], div) = window(s, count_pad, oy, ox);
                let mut sum = 0f64;
                for iy in y0..y1 {
                    for ix in x0..x1 {
                        sum += x[p * plane + iy * s.in_w + ix] as f64;
                    }
                }
                y[(p * oh + oy) * ow + ox] = (sum / div) as f32;
            }
        }
    }
    y
}
