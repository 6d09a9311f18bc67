//! Launcher of `conv2d_fwd` (shaders/conv2d.wgsl).

use super::{bad_shape, check_len, direct_shape, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, Variant, View};

/// Shape of a 2-D convolution: input `(batch, in_c, in_h, in_w)`, weights
/// `(out_c, in_c / groups, kh, kw)`, output `(batch, out_c, out_h, out_w)`, all NCHW; strides
/// `(sh, sw)`, zero padding `(top, left, bottom, right)`, dilations `(dh, dw)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    pub batch: usize,
    pub in_c: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_c: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: [usize; 2],
    pub pad: [usize; 4],
    pub dilation: [usize; 2],
    pub groups: usize,
}

impl Conv2dShape {
    /// The shape as the kernels' params hold it: batch, in_c, in_h, in_w, out_c, out_h, out_w,
    /// groups, kh, kw, the strides, the top and left padding, the dilations.
    pub(crate) fn words(&self) -> [u32; 16] {
        [
            self.batch,
            self.in_c,
            self.in_h,
            self.in_w,
            self.out_c,
            self.out_h(),
            self.out_w(),
            self.groups,
            self.kh,
            self.kw,
            self.stride[0],
            self.stride[1],
            self.pad[0],
            self.pad[1],
            self.dilation[0],
            self.dilation[1],
        ]
        .map(|v| v as u32)
    }

    /// A square `k × k` convolution with one stride, the same padding on every side and no
    /// dilation (Caffe's and LeNet's kind).
    pub fn square(
        batch: usize,
        [in_c, in_h, in_w]: [usize; 3],
        out_c: usize,
        k: usize,
        stride: usize,
        pad: usize,
        groups: usize,
    ) -> Conv2dShape {
        Conv2dShape {
            batch,
            in_c,
            in_h,
            in_w,
            out_c,
            kh: k,
            kw: k,
            stride: [stride; 2],
            pad: [pad; 4],
            dilation: [1; 2],
            groups,
        }
    }
    /// The extent of the dilated kernel: `(k − 1) d + 1` along each axis.
    fn extent(&self) -> (usize, usize) {
        (
            (self.kh.saturating_sub(1))
                .saturating_mul(self.dilation[0])
                .saturating_add(1),
            (self.kw.saturating_sub(1))
                .saturating_mul(self.dilation[1])
                .saturating_add(1),
        )
    }
    pub fn out_h(&self) -> usize {
        self.in_h
            .saturating_add(self.pad[0])
            .saturating_add(self.pad[2])
            .saturating_sub(self.extent().0)
            / self.stride[0].max(1)
            + 1
    }
    pub fn out_w(&self) -> usize {
        self.in_w
            .saturating_add(self.pad[1])
            .saturating_add(self.pad[3])
            .saturating_sub(self.extent().1)
            / self.stride[1].max(1)
            + 1
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
    /// Whether every window lies inside the image (no padding), so kernels may skip bounds
    /// checks.
    pub fn inside(&self) -> bool {
        self.pad == [0; 4]
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
        if s.stride.contains(&0) || s.dilation.contains(&0) || s.kh == 0 || s.kw == 0 {
            return Err(bad_shape(
                k,
                "kernel, strides and dilations",
                "> 0",
                format!("{s:?}"),
            ));
        }
        let (eh, ew) = s.extent();
        let padded = |len: usize, a: usize, b: usize| len.saturating_add(a).saturating_add(b);
        if eh > padded(s.in_h, s.pad[0], s.pad[2]) || ew > padded(s.in_w, s.pad[1], s.pad[3]) {
            return Err(bad_shape(
                k,
                "kernel",
                "no larger than the padded input",
                format!(
                    "{}x{} kernel (dilated {eh}x{ew}) on {}x{} input with pads {:?}",
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
    /// in all, and whether every window lies inside the image.
    pub(super) struct Params for [Conv2d, Conv2dBwd] {
        pub(super) shape: [u32; 16],
        pub(super) tiles: [u32; 3],
        pub(super) inside: u32,
    }
}

impl Params {
    pub(super) fn new(s: &Conv2dShape, tiles_a: usize, tiles_b: usize, num_tiles: usize) -> Params {
        Params {
            shape: s.words(),
            tiles: [tiles_a as u32, tiles_b as u32, num_tiles as u32],
            inside: s.inside() as u32,
        }
    }
}

pub(super) const TILE: usize = 64;

/// `y = conv(x, w) + b`, then the fused activation `act` (a bool: a ReLU or none); see [`Conv2dShape`] for the layouts.
/// Launches `conv2d_fwd`, `conv2d_fwd_direct` or `conv2d_fwd_sg` as `gpu.variant` says, and
/// for a depthwise convolution `depthwise2d_fwd_rows` (rows a multiple of 4 wide) or
/// `depthwise2d_fwd`.
pub fn conv2d_fwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    act: impl Into<super::Fused>,
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
    let act = act.into();
    let (ocg, ndim) = (s.out_c / s.groups, s.batch * s.out_h() * s.out_w());
    if super::is_depthwise(s) {
        if super::depthwise_rows::takes(s) {
            return super::depthwise_rows::depthwise2d_fwd(gpu, s, act, [x, w, b, y]);
        }
        return super::depthwise2d_fwd(gpu, s, act, [x, w, b, y]);
    }
    if super::subgroup_rows(gpu, ocg) {
        return super::subgroup::conv2d_fwd(gpu, s, act, [x, w, b, y]);
    }
    let mut constants = act.constants().to_vec();
    let (entry, tile_m, tile_n) = match gpu.variant {
        Variant::Tiled => ("conv2d_fwd", TILE, TILE),
        Variant::Direct | Variant::Subgroup => {
            let (wy, wx) = direct_shape(ocg, ndim);
            constants.extend([("WX", wx as f64), ("WY", wy as f64)]);
            ("conv2d_fwd_direct", 4 * wy, 4 * wx)
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
