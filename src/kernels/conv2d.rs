//! Launcher of `conv2d_fwd` (shaders/conv2d.wgsl).

use super::{bad_shape, check_len, direct_shape, launch, relu_constant, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, Variant, View};

/// Shape of a 2-D convolution: input `(batch, in_c, in_h, in_w)`, weights
/// `(out_c, in_c / groups, kh, kw)`, output `(batch, out_c, out_h, out_w)`, all NCHW.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    pub batch: usize,
    pub in_c: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_c: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub pad: usize,
    pub groups: usize,
}

impl Conv2dShape {
    pub fn out_h(&self) -> usize {
        (self.in_h + 2 * self.pad - self.kh) / self.stride + 1
    }
    pub fn out_w(&self) -> usize {
        (self.in_w + 2 * self.pad - self.kw) / self.stride + 1
    }
    pub fn input_len(&self) -> usize {
        self.batch * self.in_c * self.in_h * self.in_w
    }
    pub fn weight_len(&self) -> usize {
        self.out_c * (self.in_c / self.groups) * self.kh * self.kw
    }
    pub fn output_len(&self) -> usize {
        self.batch * self.out_c * self.out_h() * self.out_w()
    }
    /// Multiply-adds of one forward pass.
    pub fn macs(&self) -> u64 {
        (self.output_len() * (self.in_c / self.groups) * self.kh * self.kw) as u64
    }
    pub fn validate(&self) -> Result<()> {
        let k = "conv2d_fwd";
        let s = self;
        if s.groups == 0 || !s.in_c.is_multiple_of(s.groups) || !s.out_c.is_multiple_of(s.groups) {
            return Err(bad_shape(
                k,
                "groups",
                "a divisor of in_c and out_c",
                format!(
                    "groups {} for in_c {} and out_c {}",
                    s.groups, s.in_c, s.out_c
                ),
            ));
        }
        if s.stride == 0 || s.kh == 0 || s.kw == 0 {
            return Err(bad_shape(k, "kernel and stride", "> 0", format!("{s:?}")));
        }
        if s.kh > s.in_h + 2 * s.pad || s.kw > s.in_w + 2 * s.pad {
            return Err(bad_shape(
                k,
                "kernel",
                "no larger than the padded input",
                format!(
                    "{}x{} kernel on {}x{} input with pad {}",
                    s.kh, s.kw, s.in_h, s.in_w, s.pad
                ),
            ));
        }
        Ok(())
    }
}

params! {
    /// The params of every convolution kernel (mirrors `Params` in shaders/conv2d.wgsl and
    /// shaders/conv2d_bwd.wgsl): the shape, then the tile counts along the product's two sides and
    /// in all.
    pub(super) struct Params for [Conv2d, Conv2dBwd] {
        pub(super) shape: [u32; 12],
        pub(super) tiles: [u32; 4],
    }
}

impl Params {
    pub(super) fn new(s: &Conv2dShape, tiles_a: usize, tiles_b: usize, num_tiles: usize) -> Params {
        let shape = [
            s.batch,
            s.in_c,
            s.in_h,
            s.in_w,
            s.out_c,
            s.out_h(),
            s.out_w(),
            s.groups,
            s.kh,
            s.kw,
            s.stride,
            s.pad,
        ];
        Params {
            shape: shape.map(|v| v as u32),
            tiles: [tiles_a as u32, tiles_b as u32, num_tiles as u32, 0],
        }
    }
}

pub(super) const TILE: usize = 64;

/// `y = conv(x, w) + b`, then ReLU when `relu`; see [`Conv2dShape`] for the layouts.
/// Launches `conv2d_fwd` or `conv2d_fwd_direct` as `gpu.variant` says.
pub fn conv2d_fwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    relu: bool,
    x: View<'_>,
    w: View<'_>,
    b: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "conv2d_fwd";
    s.validate()?;
    check_len(K, "x", x.len, s.input_len())?;
    check_len(K, "w", w.len, s.weight_len())?;
    check_len(K, "b", b.len, s.out_c)?;
    check_len(K, "y", y.len, s.output_len())?;
    let (ocg, ndim) = (s.out_c / s.groups, s.batch * s.out_h() * s.out_w());
    let relu = relu_constant(relu);
    let (entry, tile_m, tile_n, constants) = match gpu.variant {
        Variant::Tiled => ("conv2d_fwd", TILE, TILE, vec![relu]),
        Variant::Direct => {
            let (wy, wx) = direct_shape(ocg, ndim);
            (
                "conv2d_fwd_direct",
                4 * wy,
                4 * wx,
                vec![relu, ("WX", wx as f64), ("WY", wy as f64)],
            )
        }
    };
    let tiles_m = ocg.div_ceil(tile_m);
    let tiles_n = ndim.div_ceil(tile_n);
    let num_tiles = (tiles_m * tiles_n * s.groups) as u64;
    let grid = grid_for(gpu, K, num_tiles)?;
    let params = Params::new(s, tiles_m, tiles_n, num_tiles as usize);
    launch(
        gpu,
        K,
        (Shader::Conv2d, entry, &constants),
        &[("x", x), ("w", w), ("b", b), ("y", y)],
        &params,
        grid,
    )
}
