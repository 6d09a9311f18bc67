//! Element-wise activations: a ReLU on its own (in place where nothing else reads its
//! input), and the others ([`Activation`]: leaky ReLU, clip, sigmoid, tanh, hard sigmoid,
//! hard swish).

use super::{Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, Activation};
use crate::nn::backward::Bwd;
use crate::nn::bounds::activation;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// A ReLU that no convolution or fully-connected layer took fused.
pub(super) struct Relu;

impl Op for Relu {
    fn kind(&self) -> &'static str {
        "relu"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok(ins[0])
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        if cx.in_place() {
            cx.push(kernels::relu_fwd(cx.gpu, cx.x()))
        } else {
            cx.push(kernels::act_fwd(cx.gpu, Activation::Relu, cx.x(), cx.y()))
        }
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let (gpu, x, y, dy) = (cx.gpu, cx.x(), cx.y(), cx.dy());
        if cx.shares_input() {
            // it worked in place: its output's gradient becomes its input's, in place
            cx.push(kernels::relu_bwd(gpu, f32::INFINITY, y, dy))?;
            cx.mark_written(0);
            return Ok(());
        }
        cx.contribute(0, |dx, out| {
            out.push(kernels::act_bwd(gpu, Activation::Relu, x, dy, dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let mut y = cx.x().to_vec();
        reference::relu_fwd(&mut y);
        (y, Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let mut dy = cx.take_dy();
        reference::relu_bwd(f32::INFINITY, cx.y(), &mut dy);
        cx.accumulate(0, dy);
    }
}

impl Op for Activation {
    fn kind(&self) -> &'static str {
        "act"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok(ins[0])
    }

    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        (inputs[0], activation(*self, inputs[0]))
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        cx.push(kernels::act_fwd(cx.gpu, *self, cx.x(), cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let (gpu, f, x, dy) = (cx.gpu, *self, cx.x(), cx.dy());
        cx.contribute(0, |dx, out| {
            out.push(kernels::act_bwd(gpu, f, x, dy, dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        (reference::act_fwd(*self, cx.x()), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        let dx = reference::act_bwd(*self, cx.x(), &dy);
        cx.accumulate(0, dx);
    }
}
