//! Launcher of `maxpool2d_fwd` (shaders/maxpool2d.wgsl, and shaders/maxpool2x2.wgsl for the
//! 2×2 windows of rows a multiple of 8 wide), and the pooling shape that every pooling kernel
//! takes.

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Shape of a pooling (max or average): `planes` = batch × channels planes of `in_h × in_w`,
/// windows of `kernel` = `(kh, kw)` every `stride` = `(sh, sw)`, padding `(top, left, bottom,
/// right)`; the output size rounds up (`ceil`: Caffe's pooling and ONNX's `ceil_mode`) or
/// down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dShape {
    pub planes: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 4],
    pub ceil: bool,
}

/// The pooled length of `len` with windows of `kernel` every `stride`, padded by `begin` and
/// `end`: rounded up when `ceil` (then the last window is dropped if it would start in the
/// end padding, as Caffe and PyTorch do), else down.
pub fn pooled(
    len: usize,
    kernel: usize,
    stride: usize,
    begin: usize,
    end: usize,
    ceil: bool,
) -> usize {
    let span = len
        .saturating_add(begin)
        .saturating_add(end)
        .saturating_sub(kernel);
    if !ceil {
        return span / stride + 1;
    }
    let mut out = span.div_ceil(stride) + 1;
    if out > 1 && (out - 1) * stride >= len + begin {
        out -= 1;
    }
    out
}

/// Caffe's pooled size: rounded up, then the last window dropped if it would start in the
/// padding.
pub fn caffe_pooled(len: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    pooled(len, kernel, stride, pad, pad, true)
}

impl Pool2dShape {
    /// Caffe's pooling: square windows, one stride, the same padding on every side, the
    /// output size rounded up.
    pub fn caffe(
        planes: usize,
        in_h: usize,
        in_w: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
    ) -> Pool2dShape {
        Pool2dShape {
            planes,
            in_h,
            in_w,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [pad; 4],
            ceil: true,
        }
    }
    pub fn out_h(&self) -> usize {
        pooled(
            self.in_h,
            self.kernel[0],
            self.stride[0],
            self.pad[0],
            self.pad[2],
            self.ceil,
        )
    }
    pub fn out_w(&self) -> usize {
        pooled(
            self.in_w,
            self.kernel[1],
            self.stride[1],
            self.pad[1],
            self.pad[3],
            self.ceil,
        )
    }
    pub fn input_len(&self) -> usize {
        self.planes * self.in_h * self.in_w
    }
    pub fn output_len(&self) -> usize {
        self.planes * self.out_h() * self.out_w()
    }
    pub fn validate(&self) -> Result<()> {
        let s = self;
        let [kh, kw] = s.kernel;
        if kh == 0
            || kw == 0
            || s.stride.contains(&0)
            || s.pad[0] >= kh
            || s.pad[2] >= kh
            || s.pad[1] >= kw
            || s.pad[3] >= kw
            || kh > s.in_h.saturating_add(s.pad[0]).saturating_add(s.pad[2])
            || kw > s.in_w.saturating_add(s.pad[1]).saturating_add(s.pad[3])
        {
            return Err(bad_shape(
                "pool2d",
                "window",
                "kernel > 0, stride > 0, every pad < kernel, kernel within the padded input",
                format!("{s:?}"),
            ));
        }
        Ok(())
    }
}

params! {
    /// The params of the pooling kernels (mirrors `Params` in shaders/maxpool2d.wgsl,
    /// maxpool2x2.wgsl, maxpool2d_bwd.wgsl, avgpool2d.wgsl and avgpool2d_bwd.wgsl).
    pub(super) struct Params for [Maxpool2d, Maxpool2x2, Maxpool2dBwd, Avgpool2d, Avgpool2dBwd] {
        pub(super) planes: u32,
        pub(super) in_h: u32,
        pub(super) in_w: u32,
        pub(super) out_h: u32,
        pub(super) out_w: u32,
        pub(super) kh: u32,
        pub(super) kw: u32,
        pub(super) sh: u32,
        pub(super) sw: u32,
        pub(super) pad_t: u32,
        pub(super) pad_l: u32,
        pub(super) pad_b: u32,
        pub(super) pad_r: u32,
        pub(super) _pad: [u32; 3],
    }
}

impl Params {
    pub(super) fn new(s: &Pool2dShape) -> Params {
        let u = |v: usize| v as u32;
        Params {
            planes: u(s.planes),
            in_h: u(s.in_h),
            in_w: u(s.in_w),
            out_h: u(s.out_h()),
            out_w: u(s.out_w()),
            kh: u(s.kernel[0]),
            kw: u(s.kernel[1]),
            sh: u(s.stride[0]),
            sw: u(s.stride[1]),
            pad_t: u(s.pad[0]),
            pad_l: u(s.pad[1]),
            pad_b: u(s.pad[2]),
            pad_r: u(s.pad[3]),
            _pad: [0; 3],
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
    let params = Params::new(s);
    // four outputs of a row an invocation; 2×2 windows of rows a multiple of 8 wide read and
    // write vec4s (views bind at offsets of 256 bytes)
    let quads = s.planes * s.out_h() * s.out_w().div_ceil(4);
    let grid = grid_for(gpu, K, quads.div_ceil(256) as u64)?;
    let pairs = s.kernel == [2, 2] && s.stride == [2, 2] && s.pad == [0; 4];
    let (shader, entry) = if pairs && s.in_w.is_multiple_of(8) && s.in_h.is_multiple_of(2) {
        (Shader::Maxpool2x2, "maxpool2x2_fwd")
    } else {
        (Shader::Maxpool2d, K)
    };
    launch(
        gpu,
        K,
        (shader, entry, &[]),
        &[("x", x), ("y", y), ("arg", arg)],
        &params,
        grid,
    )
}
