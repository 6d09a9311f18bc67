//! Element-wise arithmetic of two values: a sum (residual connections) and a product
//! (squeeze-excitation gates).

use super::{Mismatch, Op, ShapeResult};
use crate::error::Result;
use crate::kernels;
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// The sum of two inputs of the same shape.
pub(super) struct Add;

/// The product of two inputs: the same shape, or the second `(c, 1, 1)`.
pub(super) struct Mul;

/// The broadcast of a product of `n` elements by `m` (`m = n`: the same shape; else one
/// factor per image and channel, `n / m` elements each).
fn broadcast(n: usize, m: usize) -> kernels::Broadcast {
    kernels::Broadcast {
        n,
        inner: n / m.max(1),
        b_len: m,
    }
}

impl Op for Add {
    fn kind(&self) -> &'static str {
        "add"
    }

    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        if ins[1] != ins[0] {
            return Err(Mismatch {
                what: "second input",
                expected: format!("{:?}", ins[0]),
                found: format!("{:?}", ins[1]),
            });
        }
        Ok(ins[0])
    }

    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let sum = inputs[0] + inputs[1];
        (sum, sum)
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        cx.push(kernels::add_fwd(cx.gpu, cx.x(), cx.input(1), cx.y()))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let dy = cx.dy();
        cx.identity(0, dy)?;
        cx.identity(1, dy)
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        (reference::add_fwd(cx.x(), cx.input(1)), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        cx.accumulate(1, dy.clone());
        cx.accumulate(0, dy);
    }
}

impl Op for Mul {
    fn kind(&self) -> &'static str {
        "mul"
    }

    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let [c, _, _] = ins[0];
        if ins[1] != ins[0] && ins[1] != [c, 1, 1] {
            return Err(Mismatch {
                what: "second input",
                expected: format!("{:?} or {:?}", ins[0], [c, 1, 1]),
                found: format!("{:?}", ins[1]),
            });
        }
        Ok(ins[0])
    }

    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let product = inputs[0] * inputs[1];
        (product, product)
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let (x, m) = (cx.x(), cx.input(1));
        cx.push(kernels::mul_fwd(
            cx.gpu,
            &broadcast(x.len, m.len),
            x,
            m,
            cx.y(),
        ))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let (gpu, dy, x, m) = (cx.gpu, cx.dy(), cx.x(), cx.input(1));
        let s = broadcast(x.len, m.len);
        cx.contribute(0, |dx, out| {
            out.push(kernels::mul_fwd(gpu, &s, dy, m, dx)?);
            Ok(())
        })?;
        cx.contribute(1, |dm, out| {
            out.push(if s.inner == 1 {
                kernels::mul_fwd(gpu, &s, dy, x, dm)?
            } else {
                kernels::mul_bwd_b(gpu, &s, dy, x, dm)?
            });
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let (x, m) = (cx.x(), cx.input(1));
        (
            reference::mul_fwd(&broadcast(x.len(), m.len()), x, m),
            Vec::new(),
        )
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        let (x, m) = (cx.x(), cx.input(1));
        let s = broadcast(x.len(), m.len());
        let dm = if s.inner == 1 {
            reference::mul_fwd(&s, &dy, x)
        } else {
            reference::mul_bwd_b(&s, &dy, x)
        };
        let dx = reference::mul_fwd(&s, &dy, m);
        cx.accumulate(0, dx);
        cx.accumulate(1, dm);
    }
}
