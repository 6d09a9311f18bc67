//! A 2-D convolution: grouped, strided, padded and dilated, with its activation fused.

use super::{Mismatch, Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, Conv2dShape, Fused};
use crate::nn::backward::Bwd;
use crate::nn::bounds::{fused, max_abs, max_row_sum};
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// Tensors `{name}.weight` `(out_c, in_c / groups, kh, kw)` and `{name}.bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    pub name: String,
    pub out_c: usize,
    /// `(kh, kw)`.
    pub kernel: [usize; 2],
    /// `(sh, sw)`.
    pub stride: [usize; 2],
    /// `(top, left, bottom, right)`.
    pub pad: [usize; 4],
    /// `(dh, dw)`.
    pub dilation: [usize; 2],
    pub groups: usize,
    /// The activation fused into the outputs: none, a ReLU, or a capped ReLU (ReLU6).
    pub act: Fused,
}

impl Conv2d {
    /// Its kernel shape at `batch` for input `(c, h, w)`.
    pub fn shape_at(&self, batch: usize, [in_c, in_h, in_w]: [usize; 3]) -> Conv2dShape {
        Conv2dShape {
            batch,
            in_c,
            in_h,
            in_w,
            out_c: self.out_c,
            kh: self.kernel[0],
            kw: self.kernel[1],
            stride: self.stride,
            pad: self.pad,
            dilation: self.dilation,
            groups: self.groups,
        }
    }
}

impl Op for Conv2d {
    fn kind(&self) -> &'static str {
        "conv"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let s = self.shape_at(1, ins[0]);
        s.validate().map_err(|e| Mismatch {
            what: "convolution",
            expected: format!("{self:?}"),
            found: format!("input (c, h, w) = {:?}: {e}", ins[0]),
        })?;
        Ok([self.out_c, s.out_h(), s.out_w()])
    }

    fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        Some((&self.name, ["weight", "bias"]))
    }

    fn param_shapes(&self, input: [usize; 3]) -> [Vec<usize>; 2] {
        let [kh, kw] = self.kernel;
        [
            vec![self.out_c, input[0] / self.groups, kh, kw],
            vec![self.out_c],
        ]
    }

    fn macs(&self, input: [usize; 3], out: [usize; 3]) -> u64 {
        let per_output = (input[0] / self.groups) * self.kernel[0] * self.kernel[1];
        (out.iter().product::<usize>() * per_output) as u64
    }

    fn bound(&self, weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let w = weights.get(&format!("{}.weight", self.name));
        let bias = weights.get(&format!("{}.bias", self.name));
        let pre = max_row_sum(w, self.out_c) * inputs[0] + max_abs(bias);
        (pre, fused(self.act, pre))
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (w, bias) = (cx.param(0).view(), cx.param(1).view());
        cx.push(kernels::conv2d_fwd(
            cx.gpu,
            &s,
            self.act,
            cx.x(),
            w,
            bias,
            cx.y(),
        ))
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        cx.fused_relu(self.act)?;
        let s = self.shape_at(cx.b, cx.x_shape());
        let (gpu, x, dy) = (cx.gpu, cx.x(), cx.dy());
        let w = cx.weights.expect("a convolution's weights");
        if let Some((gw, gb)) = cx.grads {
            cx.push(kernels::conv2d_bwd_weight(gpu, &s, dy, x, gw.view()))?;
            let hw = s.out_h() * s.out_w();
            cx.push(kernels::bias_bwd(gpu, s.batch, s.out_c, hw, dy, gb.view()))?;
        }
        cx.contribute(0, |dx, out| {
            out.push(kernels::conv2d_bwd_input(gpu, &s, dy, w.view(), dx)?);
            Ok(())
        })
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        let (w, b) = (cx.param(&self.name, "weight"), cx.param(&self.name, "bias"));
        (
            reference::conv2d_fwd(&s, self.act, cx.x(), w, b),
            Vec::new(),
        )
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let mut dy = cx.take_dy();
        if let Fused::Relu(cap) = self.act {
            reference::relu_bwd(cap, cx.y(), &mut dy);
        }
        let s = self.shape_at(cx.n, cx.x_shape());
        if cx.params {
            let hw = s.out_h() * s.out_w();
            let bias = reference::bias_bwd(cx.n, s.out_c, hw, &dy);
            cx.add_param_grads(reference::conv2d_bwd_weight(&s, &dy, cx.x()), bias);
        }
        let dx = reference::conv2d_bwd_input(&s, &dy, cx.param(&self.name, "weight"));
        cx.accumulate(0, dx);
    }
}
