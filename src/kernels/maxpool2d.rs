//! Launchers of `caffe_pooled`, `maxpool2d_fwd` (shaders/maxpool2d.wgsl).

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Shape of a max-pooling: `planes` = batch × channels planes of `in_h × in_w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dShape {
    pub planes: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: usize,
    pub stride: usize,
    pub pad: usize,
}

/// Caffe's pooled size: rounded up, then the last window dropped if it would start in the
/// padding.
pub fn caffe_pooled(len: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    let mut out = (len + 2 * pad - kernel).div_ceil(stride) + 1;
    if pad > 0 && (out - 1) * stride >= len + pad {
        out -= 1;
    }
    out
}

impl Pool2dShape {
    pub fn out_h(&self) -> usize {
        caffe_pooled(self.in_h, self.kernel, self.stride, self.pad)
    }
    pub fn out_w(&self) -> usize {
        caffe_pooled(self.in_w, self.kernel, self.stride, self.pad)
    }
    pub fn input_len(&self) -> usize {
        self.planes * self.in_h * self.in_w
    }
    pub fn output_len(&self) -> usize {
        self.planes * self.out_h() * self.out_w()
    }
    pub fn validate(&self) -> Result<()> {
        let s = self;
        if s.kernel == 0
            || s.stride == 0
            || s.pad >= s.kernel
            || s.kernel > s.in_h + 2 * s.pad
            || s.kernel > s.in_w + 2 * s.pad
        {
            return Err(bad_shape(
                "maxpool2d_fwd",
                "window",
                "kernel > 0, stride > 0, pad < kernel, kernel within the padded input",
                format!("{s:?}"),
            ));
        }
        Ok(())
    }
}

params! {
    pub(super) struct Params for [Maxpool2d, Maxpool2dBwd] {
        pub(super) planes: u32,
        pub(super) in_h: u32,
        pub(super) in_w: u32,
        pub(super) out_h: u32,
        pub(super) out_w: u32,
        pub(super) kernel: u32,
        pub(super) stride: u32,
        pub(super) pad: u32,
    }
}

impl Params {
    pub(super) fn new(s: &Pool2dShape) -> Params {
        Params {
            planes: s.planes as u32,
            in_h: s.in_h as u32,
            in_w: s.in_w as u32,
            out_h: s.out_h() as u32,
            out_w: s.out_w() as u32,
            kernel: s.kernel as u32,
            stride: s.stride as u32,
            pad: s.pad as u32,
        }
    }
}

/// Max-pools `x` into `y`, writing the arg-max of each window (index in its input plane)
/// into `arg`.
pub fn maxpool2d_fwd(
    gpu: &Gpu,
    s: &Pool2dShape,
    x: View<'_>,
    y: View<'_>,
    arg: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "maxpool2d_fwd";
    s.validate()?;
    check_len(K, "x", x.len, s.input_len())?;
    check_len(K, "y", y.len, s.output_len())?;
    check_len(K, "arg", arg.len, s.output_len())?;
    let grid = grid_for(gpu, K, s.output_len().div_ceil(256) as u64)?;
    let params = Params::new(s);
    launch(
        gpu,
        K,
        (Shader::Maxpool2d, K, &[]),
        &[("x", x), ("y", y), ("arg", arg)],
        &params,
        grid,
    )
}
