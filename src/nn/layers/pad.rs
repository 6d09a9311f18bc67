//! Constant padding around each plane (ONNX's Pad where no convolution after it takes it
//! into its own padding).

use super::{Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, Pad2d};
use crate::nn::backward::Bwd;
use crate::nn::bounds::mag;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// `value` around each plane: `pad` = `(top, left, bottom, right)` rows and columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Pad {
    pub pad: [usize; 4],
    pub value: f32,
}

impl Pad {
    /// Its kernel shape at `batch` for input `(c, h, w)`.
    pub fn shape_at(&self, batch: usize, [c, h, w]: [usize; 3]) -> Pad2d {
        Pad2d {
            planes: batch * c,
            h,
            w,
            pad: self.pad,
            value: self.value,
        }
    }
}

impl Op for Pad {
    fn kind(&self) -> &'static str {
        "pad"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let ([c, h, w], p) = (ins[0], self.pad);
        Ok([c, h + p[0] + p[2], w + p[1] + p[3]])
    }

    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        (inputs[0], inputs[0].max(mag(self.value)))
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        cx.push(kernels::pad2d_fwd(cx.gpu, &s, cx.x(), cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (gpu, dy) = (cx.gpu, cx.dy());
        cx.contribute(0, |dx, out| {
            out.push(kernels::pad2d_bwd(gpu, &s, dy, dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        (
            reference::pad2d_fwd(&self.shape_at(cx.n, cx.x_shape()), cx.x()),
            Vec::new(),
        )
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        let dx = reference::pad2d_bwd(&self.shape_at(cx.n, cx.x_shape()), &dy);
        cx.accumulate(0, dx);
    }
}
