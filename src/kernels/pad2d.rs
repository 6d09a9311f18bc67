//! Launchers of `pad2d_fwd` and `pad2d_bwd` (shaders/pad2d.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct PadParams for [Pad2d] {
        pub(super) planes: u32,
        pub(super) h: u32,
        pub(super) w: u32,
        pub(super) top: u32,
        pub(super) left: u32,
        pub(super) out_h: u32,
        pub(super) out_w: u32,
        pub(super) value: f32,
    }
}

/// A constant padding of `planes` planes of `(h, w)` by `(top, left, bottom, right)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pad2d {
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub pad: [usize; 4],
    pub value: f32,
}

impl Pad2d {
    pub fn out_h(&self) -> usize {
        self.h + self.pad[0] + self.pad[2]
    }
    pub fn out_w(&self) -> usize {
        self.w + self.pad[1] + self.pad[3]
    }
    fn params(&self) -> PadParams {
        PadParams {
            planes: self.planes as u32,
            h: self.h as u32,
            w: self.w as u32,
            top: self.pad[0] as u32,
            left: self.pad[1] as u32,
            out_h: self.out_h() as u32,
            out_w: self.out_w() as u32,
            value: self.value,
        }
    }
}

/// `y` `(planes, out_h, out_w)`: `x` `(planes, h, w)` inside, `s.value` around it.
pub fn pad2d_fwd(gpu: &Gpu, s: &Pad2d, x: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "pad2d_fwd";
    check_len(K, "x", x.len, s.planes * s.h * s.w)?;
    check_len(K, "y", y.len, s.planes * s.out_h() * s.out_w())?;
    let grid = grid_for(gpu, K, y.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Pad2d, K, &[]),
        &[("x", x), ("y", y)],
        &s.params(),
        grid,
    )
}

/// `dx` `(planes, h, w)`: the inside of `dy` `(planes, out_h, out_w)`.
pub fn pad2d_bwd(gpu: &Gpu, s: &Pad2d, dy: View<'_>, dx: View<'_>) -> Result<Dispatch> {
    const K: &str = "pad2d_bwd";
    check_len(K, "dy", dy.len, s.planes * s.out_h() * s.out_w())?;
    check_len(K, "dx", dx.len, s.planes * s.h * s.w)?;
    let grid = grid_for(gpu, K, dx.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Pad2d, K, &[]),
        &[("dy", dy), ("dx", dx)],
        &s.params(),
        grid,
    )
}
