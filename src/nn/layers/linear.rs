//! A fully-connected layer, with its activation fused; weights past one storage binding run
//! as blocks of output features.

use super::{Op, ShapeResult};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, Fused, LinearShape};
use crate::nn::backward::{Bwd, ParamGrads};
use crate::nn::bounds::{fused, max_abs, max_row_sum};
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;
use crate::reference;

/// Tensors `{name}.weight` `(out_f, in_f)` and `{name}.bias`; the input is read flattened.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub name: String,
    pub out_f: usize,
    /// The activation fused into the outputs, as a convolution's.
    pub act: Fused,
}

impl Linear {
    /// Its kernel shape at `batch` for input `(c, h, w)` (read flattened).
    pub fn shape_at(&self, batch: usize, input: [usize; 3]) -> LinearShape {
        LinearShape {
            batch,
            in_f: input.iter().product(),
            out_f: self.out_f,
        }
    }
}

/// A fully-connected layer run in row blocks: `(first row, rows)` of each block, and the
/// scratch buffer one block's outputs go through.
pub(crate) type SplitLinear = (Vec<(usize, usize)>, GpuBuffer<f32>);

impl Op for Linear {
    fn kind(&self) -> &'static str {
        "fc"
    }

    fn shape(&self, _ins: &[[usize; 3]]) -> ShapeResult {
        Ok([self.out_f, 1, 1])
    }

    fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        Some((&self.name, ["weight", "bias"]))
    }

    fn param_shapes(&self, input: [usize; 3]) -> [Vec<usize>; 2] {
        [vec![self.out_f, input.iter().product()], vec![self.out_f]]
    }

    fn macs(&self, input: [usize; 3], _out: [usize; 3]) -> u64 {
        (input.iter().product::<usize>() * self.out_f) as u64
    }

    fn bound(&self, weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        let w = weights.get(&format!("{}.weight", self.name));
        let bias = weights.get(&format!("{}.bias", self.name));
        let pre = max_row_sum(w, self.out_f) * inputs[0] + max_abs(bias);
        (pre, fused(self.act, pre))
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let s = self.shape_at(cx.b, cx.x_shape());
        let (x, y, w, bias) = (cx.x(), cx.y(), cx.param(0), cx.param(1));
        match cx.pieces() {
            None => cx.push(kernels::linear_fwd(
                cx.gpu,
                &s,
                self.act,
                x,
                w.view(),
                bias.view(),
                y,
            )),
            // weights past one binding: blocks of output features, each computed into the
            // scratch buffer and copied into its columns
            Some((blocks, scratch)) => {
                for &(first, rows) in blocks {
                    let part = LinearShape { out_f: rows, ..s };
                    let out = scratch.slice(0, s.batch * rows);
                    let (wp, bp) = (
                        w.slice(first * s.in_f, rows * s.in_f),
                        bias.slice(first, rows),
                    );
                    cx.push(kernels::linear_fwd(cx.gpu, &part, self.act, x, wp, bp, out))?;
                    let cols = kernels::Cols {
                        rows: s.batch,
                        width: rows,
                        src_stride: rows,
                        src_col: 0,
                        dst_stride: s.out_f,
                        dst_col: first,
                    };
                    cx.push(kernels::copy_cols(cx.gpu, &cols, out, y))?;
                }
                Ok(())
            }
        }
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        cx.fused_relu(self.act)?;
        let s = self.shape_at(cx.b, cx.x_shape());
        let (gpu, x, dy) = (cx.gpu, cx.x(), cx.dy());
        let w = cx.weights.expect("a fully-connected layer's weights");
        if let Some(grads) = cx.grads {
            let kept = blocks_bwd(gpu, &s, (x, dy, None), (w, Some(grads)), cx.out)?;
            cx.keep(kept);
        }
        let mut kept = Vec::new();
        cx.contribute(0, |dx, out| {
            kept = blocks_bwd(gpu, &s, (x, dy, Some(dx)), (w, None), out)?;
            Ok(())
        })?;
        cx.keep(kept);
        Ok(())
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let s = self.shape_at(cx.n, cx.x_shape());
        let (w, b) = (cx.param(&self.name, "weight"), cx.param(&self.name, "bias"));
        (
            reference::linear_fwd(&s, self.act, cx.x(), w, b),
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
            let bias = reference::bias_bwd(cx.n, self.out_f, 1, &dy);
            cx.add_param_grads(reference::linear_bwd_weight(&s, &dy, cx.x()), bias);
        }
        let dx = reference::linear_bwd_input(&s, &dy, cx.param(&self.name, "weight"));
        cx.accumulate(0, dx);
    }
}

/// A fully-connected layer's backward dispatches from `dy` to its parameters' gradients
/// `grads` (when given) and to `dx` (when given); weights past one binding run in blocks of
/// output features; returns their scratch buffers, which must live as long as the dispatches.
fn blocks_bwd(
    gpu: &Gpu,
    s: &LinearShape,
    (x, dy, dx): (View<'_>, View<'_>, Option<View<'_>>),
    (w, grads): (&GpuBuffer<f32>, Option<ParamGrads<'_>>),
    dispatches: &mut Vec<Dispatch>,
) -> Result<Vec<GpuBuffer<f32>>> {
    let (s, b) = (*s, s.batch);
    let blocks = kernels::linear_pieces(gpu, &s)?;
    if blocks.len() == 1 {
        if let Some((gw, gb)) = grads {
            dispatches.push(kernels::linear_bwd_weight(gpu, &s, dy, x, gw.view())?);
            dispatches.push(kernels::bias_bwd(gpu, b, s.out_f, 1, dy, gb.view())?);
        }
        if let Some(dx) = dx {
            dispatches.push(kernels::linear_bwd_input(gpu, &s, dy, w.view(), dx)?);
        }
        return Ok(Vec::new());
    }
    // weights past one binding: each block of output features takes its columns of dy;
    // the blocks' input gradients are summed
    let block_dy = GpuBuffer::<f32>::zeros(gpu, "fc block dy", b * blocks[0].1)?;
    let block_dx = GpuBuffer::<f32>::zeros(gpu, "fc block dx", x.len)?;
    for (k, &(first, rows)) in blocks.iter().enumerate() {
        let part = LinearShape { out_f: rows, ..s };
        let pdy = block_dy.slice(0, b * rows);
        let cols = kernels::Cols {
            rows: b,
            width: rows,
            src_stride: s.out_f,
            src_col: first,
            dst_stride: rows,
            dst_col: 0,
        };
        dispatches.push(kernels::copy_cols(gpu, &cols, dy, pdy)?);
        if let Some((gw, gb)) = grads {
            let gw = gw.slice(first * s.in_f, rows * s.in_f);
            dispatches.push(kernels::linear_bwd_weight(gpu, &part, pdy, x, gw)?);
            let gb = gb.slice(first, rows);
            dispatches.push(kernels::bias_bwd(gpu, b, rows, 1, pdy, gb)?);
        }
        if let Some(dx) = dx {
            let wp = w.slice(first * s.in_f, rows * s.in_f);
            if k == 0 {
                dispatches.push(kernels::linear_bwd_input(gpu, &part, pdy, wp, dx)?);
            } else {
                let pdx = block_dx.view();
                dispatches.push(kernels::linear_bwd_input(gpu, &part, pdy, wp, pdx)?);
                dispatches.push(kernels::add_inplace(gpu, pdx, dx)?);
            }
        }
    }
    Ok(vec![block_dy, block_dx])
}
