//! Pooling: max or average over windows, and the global average of each plane.

use super::{Mismatch, Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, Pool2dShape};
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::reference;

/// Max or average pooling; the output size rounds up when `ceil` (Caffe's pooling, ONNX's
/// `ceil_mode`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub kind: PoolKind,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// `(top, left, bottom, right)`.
    pub pad: [usize; 4],
    pub ceil: bool,
}

/// What a [`Pool`] takes of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    /// The mean; the divisor counts the padding inside the window when `count_pad`.
    Avg {
        count_pad: bool,
    },
}

impl Pool {
    /// Its kernel shape at `batch` for input `(c, h, w)`.
    pub fn shape_at(&self, batch: usize, [c, h, w]: [usize; 3]) -> Pool2dShape {
        Pool2dShape {
            planes: batch * c,
            in_h: h,
            in_w: w,
            kernel: self.kernel,
            stride: self.stride,
            pad: self.pad,
            ceil: self.ceil,
        }
    }

    /// Whether an average's divisor counts the padding (false for a max).
    fn count_pad(&self) -> bool {
        matches!(self.kind, PoolKind::Avg { count_pad: true })
    }
}

/// The global average pool's kernel shape: the window of the whole plane.
fn global(batch: usize, [c, h, w]: [usize; 3]) -> Pool2dShape {
    Pool2dShape {
        planes: batch * c,
        in_h: h,
        in_w: w,
        kernel: [h, w],
        stride: [h, w],
        pad: [0; 4],
        ceil: false,
    }
}

impl Op for Pool {
    fn kind(&self) -> &'static str {
        match self.kind {
            PoolKind::Max => "maxpool",
            PoolKind::Avg { .. } => "avgpool",
        }
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let [c, h, w] = ins[0];
        let s = self.shape_at(1, ins[0]);
        s.validate().map_err(|e| Mismatch {
            what: "window",
            expected: "a window within the padded input".into(),
            found: format!("on {h}x{w}: {e}"),
        })?;
        Ok([c, s.out_h(), s.out_w()])
    }

    // a maximum or an average of values within the bound (or of the zeros of padding):
    // the default bound

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (x, y) = (cx.x(), cx.y());
        cx.push(match self.kind {
            PoolKind::Max => kernels::maxpool2d_fwd(cx.gpu, &s, x, y, cx.arg()),
            PoolKind::Avg { count_pad } => kernels::avgpool2d_fwd(cx.gpu, &s, count_pad, x, y),
        })
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (gpu, dy) = (cx.gpu, cx.dy());
        let count_pad = self.count_pad();
        let arg = (self.kind == PoolKind::Max).then(|| cx.arg());
        cx.contribute(0, |dx, out| {
            out.push(match arg {
                Some(arg) => kernels::maxpool2d_bwd(gpu, &s, dy, arg, dx)?,
                None => kernels::avgpool2d_bwd(gpu, &s, count_pad, dy, dx)?,
            });
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        match self.kind {
            PoolKind::Max => reference::maxpool2d_fwd(&s, cx.x()),
            PoolKind::Avg { count_pad } => {
                (reference::avgpool2d_fwd(&s, count_pad, cx.x()), Vec::new())
            }
        }
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        let dy = cx.take_dy();
        let dx = match self.kind {
            PoolKind::Max => reference::maxpool2d_bwd(&s, &dy, cx.args),
            PoolKind::Avg { count_pad } => reference::avgpool2d_bwd(&s, count_pad, &dy),
        };
        cx.accumulate(0, dx);
    }
}

/// The mean of each channel's plane: `(c, h, w)` → `(c, 1, 1)`.
pub(super) struct GlobalAvgPool;

impl Op for GlobalAvgPool {
    fn kind(&self) -> &'static str {
        "gap"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok([ins[0][0], 1, 1])
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = global(cx.b, cx.x_shape());
        cx.push(kernels::avgpool2d_fwd(cx.gpu, &s, false, cx.x(), cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let s = global(cx.b, cx.x_shape());
        let (gpu, dy) = (cx.gpu, cx.dy());
        cx.contribute(0, |dx, out| {
            out.push(kernels::avgpool2d_bwd(gpu, &s, false, dy, dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = global(cx.n, cx.x_shape());
        (reference::avgpool2d_fwd(&s, false, cx.x()), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let s = global(cx.n, cx.x_shape());
        let dy = cx.take_dy();
        cx.accumulate(0, reference::avgpool2d_bwd(&s, false, &dy));
    }
}
