//! A per-channel affine map: a batch normalisation that no convolution absorbed.

use super::{channels, Op, ShapeResult};
use crate::error::Result;
use crate::kernels;
use crate::nn::backward::Bwd;
use crate::nn::bounds::max_abs;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// `y = x · scale[c] + shift[c]` per channel: tensors `{name}.scale` and `{name}.shift`
/// `(c)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Affine {
    pub name: String,
}

impl Op for Affine {
    fn kind(&self) -> &'static str {
        "affine"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok(ins[0])
    }

    fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        Some((&self.name, ["scale", "shift"]))
    }

    fn bound(&self, weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let scale = weights.get(&format!("{}.scale", self.name));
        let shift = weights.get(&format!("{}.shift", self.name));
        let out = max_abs(scale) * inputs[0] + max_abs(shift);
        (out, out)
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let x = cx.x();
        let s = channels(x.len, cx.x_shape());
        let (scale, shift) = (cx.param(0).view(), cx.param(1).view());
        cx.push(kernels::affine_fwd(cx.gpu, &s, x, scale, shift, cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let (gpu, dy) = (cx.gpu, cx.dy());
        let s = channels(cx.x().len, cx.x_shape());
        let scale = cx.weights.expect("an affine layer's scale");
        cx.contribute(0, |dx, out| {
            out.push(kernels::mul_fwd(gpu, &s, dy, scale.view(), dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = channels(cx.x().len(), cx.x_shape());
        let (scale, shift) = (cx.param(&self.name, "scale"), cx.param(&self.name, "shift"));
        (reference::affine_fwd(&s, cx.x(), scale, shift), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        let s = channels(cx.x().len(), cx.x_shape());
        let dx = reference::mul_fwd(&s, &dy, cx.param(&self.name, "scale"));
        cx.accumulate(0, dx);
    }
}
