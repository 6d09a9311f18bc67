//! Local response normalisation across channels (Caffe's ACROSS_CHANNELS).

use super::{Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, LrnShape};
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// `y = x · (k + α/size · Σ x²)^(−β)`, the sum over `size` neighbouring channels.
#[derive(Clone, Debug, PartialEq)]
pub struct Lrn {
    pub size: usize,
    pub alpha: f32,
    pub beta: f32,
    pub k: f32,
}

impl Lrn {
    /// Its kernel shape at `batch` for input `(c, h, w)`.
    pub fn shape_at(&self, batch: usize, [c, h, w]: [usize; 3]) -> LrnShape {
        LrnShape {
            batch,
            channels: c,
            spatial: h * w,
            size: self.size,
            alpha: self.alpha,
            beta: self.beta,
            k: self.k,
        }
    }
}

impl Op for Lrn {
    fn kind(&self) -> &'static str {
        "lrn"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok(ins[0])
    }

    // x / (k + α/n · Σ x²)^β: at most |x| / k^β where k > 0 and β ≥ 0; the sum of squares
    // must stay bounded too
    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let a = inputs[0];
        let squares = a * a * self.size as f64;
        if self.k > 0.0 && self.beta >= 0.0 {
            (squares, a / (self.k as f64).powf(self.beta as f64))
        } else {
            (f64::INFINITY, f64::INFINITY)
        }
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        cx.push(kernels::lrn_fwd(cx.gpu, &s, cx.x(), cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (gpu, x, dy) = (cx.gpu, cx.x(), cx.dy());
        cx.contribute(0, |dx, out| {
            out.push(kernels::lrn_bwd(gpu, &s, x, dy, dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        (reference::lrn_fwd(&s, cx.x()), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        let dy = cx.take_dy();
        let dx = reference::lrn_bwd(&s, cx.x(), &dy);
        cx.accumulate(0, dx);
    }
}
