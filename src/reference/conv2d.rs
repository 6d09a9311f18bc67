//! Twin of `shaders/conv2d.wgsl`.

use crate::kernels::{Conv2dShape, Fused};

/// Visits every term of a convolution: `f(xi, wi, yi)` for each input element `x[xi]` that
/// weight `w[wi]` carries into output `y[yi]` (zero padding contributes nothing). The forward
/// and both backward twins are sums over these triples.
pub(super) fn conv_terms(s: &Conv2dShape, mut f: impl FnMut(usize, usize, usize)) {
    let (oh, ow) = (s.out_h(), s.out_w());
    let (icg, ocg) = (s.in_c / s.groups, s.out_c / s.groups);
    for n in 0..s.batch {
        for oc in 0..s.out_c {
            let g = oc / ocg;
            for oy in 0..oh {
                for ox in 0..ow {
                    let yi = ((n * s.out_c + oc) * oh + oy) * ow + ox;
                    for ic in 0..icg {
                        for ky in 0..s.kh {
                            let iy = (oy * s.stride[0] + ky * s.dilation[0]) as isize
                                - s.pad[0] as isize;
                            if iy < 0 || iy >= s.in_h as isize {
                                continue;
                            }
                            for kx in 0..s.kw {
                                let ix = (ox * s.stride[1] + kx * s.dilation[1]) as isize
                                    - s.pad[1] as isize;
                                if ix < 0 || ix >= s.in_w as isize {
                                    continue;
                                }
                                let xi = ((n * s.in_c + g * icg + ic) * s.in_h + iy as usize)
                                    * s.in_w
                                    + ix as usize;
                                f(xi, ((oc * icg + ic) * s.kh + ky) * s.kw + kx, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Twin of `conv2d_fwd`.
pub fn conv2d_fwd(
    s: &Conv2dShape,
    act: impl Into<Fused>,
    x: &[f32],
    w: &[f32],
    b: &[f32],
) -> Vec<f32> {
    let act = act.into();
    let plane = s.out_h() * s.out_w();
    let mut acc: Vec<f64> = (0..s.output_len())
        .map(|i| b[(i / plane) % s.out_c] as f64)
        .collect();
    conv_terms(s, |xi, wi, yi| acc[yi] += x[xi] as f64 * w[wi] as f64);
    acc.into_iter().map(|v| act.apply(v) as f32).collect()
}
