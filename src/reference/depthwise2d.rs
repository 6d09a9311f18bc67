//! Twin of `shaders/depthwise2d.wgsl`, written as the definition reads (f64 sums).

use crate::kernels::{Conv2dShape, Fused};

/// The input pixel `(iy, ix)` that tap `(ky, kx)` of output pixel `(oy, ox)` reads, if any.
fn source(s: &Conv2dShape, (oy, ox): (usize, usize), (ky, kx): (usize, usize)) -> Option<usize> {
    let iy = (oy * s.stride[0] + ky * s.dilation[0]).checked_sub(s.pad[0])?;
    let ix = (ox * s.stride[1] + kx * s.dilation[1]).checked_sub(s.pad[1])?;
    (iy < s.in_h && ix < s.in_w).then_some(iy * s.in_w + ix)
}

/// Twin of `depthwise2d_fwd`.
pub fn depthwise2d_fwd(
    s: &Conv2dShape,
    act: impl Into<Fused>,
    x: &[f32],
    w: &[f32],
    b: &[f32],
) -> Vec<f32> {
    let act = act.into();
    let (oh, ow, ocg) = (s.out_h(), s.out_w(), s.out_c / s.groups);
    let mut y = vec![0f32; s.output_len()];
    for img in 0..s.batch {
        for oc in 0..s.out_c {
            let xc = &x[(img * s.in_c + oc / ocg) * s.in_h * s.in_w..][..s.in_h * s.in_w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = b[oc] as f64;
                    for ky in 0..s.kh {
                        for kx in 0..s.kw {
                            if let Some(i) = source(s, (oy, ox), (ky, kx)) {
                                acc += w[(oc * s.kh + ky) * s.kw + kx] as f64 * xc[i] as f64;
                            }
                        }
                    }
                    y[((img * s.out_c + oc) * oh + oy) * ow + ox] = act.apply(acc) as f32;
                }
            }
        }
    }
    y
}

/// Twin of `depthwise2d_bwd_input`: every output's gradient sent back to the input pixels
/// its taps read.
pub fn depthwise2d_bwd_input(s: &Conv2dShape, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let (oh, ow, ocg) = (s.out_h(), s.out_w(), s.out_c / s.groups);
    let mut dx = vec![0f64; s.input_len()];
    for img in 0..s.batch {
        for oc in 0..s.out_c {
            let xb = (img * s.in_c + oc / ocg) * s.in_h * s.in_w;
            for oy in 0..oh {
                for ox in 0..ow {
                    let g = dy[((img * s.out_c + oc) * oh + oy) * ow + ox] as f64;
                    for ky in 0..s.kh {
                        for kx in 0..s.kw {
                            if let Some(i) = source(s, (oy, ox), (ky, kx)) {
                                dx[xb + i] += w[(oc * s.kh + ky) * s.kw + kx] as f64 * g;
                            }
                        }
                    }
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}
