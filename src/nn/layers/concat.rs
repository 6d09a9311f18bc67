//! Concatenation along the channels.

use super::{Mismatch, Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, Cols};
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::reference;

/// The inputs joined along the channels (the same height and width).
pub(super) struct Concat;

/// Where each input goes in the output: for `b` images of the output's shape `total`, and
/// inputs of `c` channels each, the columns each fills (each image is a row).
fn columns(b: usize, total: [usize; 3], inputs: &[usize]) -> Vec<Cols> {
    let hw = total[1] * total[2];
    let mut at = 0;
    inputs
        .iter()
        .map(|&c| {
            let cols = Cols {
                rows: b,
                width: c * hw,
                src_stride: c * hw,
                src_col: 0,
                dst_stride: total[0] * hw,
                dst_col: at * hw,
            };
            at += c;
            cols
        })
        .collect()
}

/// The columns of `cols` back: from the output's columns into a block of the input's own.
fn back(cols: &Cols) -> Cols {
    Cols {
        src_stride: cols.dst_stride,
        src_col: cols.dst_col,
        dst_stride: cols.src_stride,
        dst_col: 0,
        ..*cols
    }
}

impl Op for Concat {
    fn kind(&self) -> &'static str {
        "concat"
    }

    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let [_, h, w] = ins[0];
        if let Some(s) = ins.iter().find(|s| s[1..] != ins[0][1..]) {
            return Err(Mismatch {
                what: "input",
                expected: format!("(c, {h}, {w})"),
                found: format!("{s:?}"),
            });
        }
        Ok([ins.iter().map(|s| s[0]).sum(), h, w])
    }

    fn bound(&self, _weights: &crate::nn::Weights, inputs: &[f64]) -> (f64, f64) {
        let all = inputs.iter().copied().fold(0.0, f64::max);
        (all, all)
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        let channels: Vec<usize> = (0..cx.inputs()).map(|k| cx.input_shape(k)[0]).collect();
        let y = cx.y();
        for (k, cols) in columns(cx.b, cx.y_shape(), &channels).iter().enumerate() {
            cx.push(kernels::copy_cols(cx.gpu, cols, cx.input(k), y))?;
        }
        Ok(())
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        let channels: Vec<usize> = (0..cx.inputs()).map(|k| cx.input_shape(k)[0]).collect();
        let (gpu, dy) = (cx.gpu, cx.dy());
        for (k, cols) in columns(cx.b, cx.y_shape(), &channels).iter().enumerate() {
            // the input's columns of dy, back into a block of its own
            cx.contribute(k, |dx, out| {
                out.push(kernels::copy_cols(gpu, &back(cols), dy, dx)?);
                Ok(())
            })?;
        }
        Ok(())
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let channels: Vec<usize> = (0..cx.inputs()).map(|k| cx.input_shape(k)[0]).collect();
        let total = cx.y_shape();
        let mut y = vec![0f32; cx.n * total.iter().product::<usize>()];
        for (k, cols) in columns(cx.n, total, &channels).iter().enumerate() {
            reference::copy_cols(cols, cx.input(k), &mut y);
        }
        (y, Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let channels: Vec<usize> = (0..cx.inputs()).map(|k| cx.input_shape(k)[0]).collect();
        let dy = cx.take_dy();
        for (k, cols) in columns(cx.n, cx.y_shape(), &channels).iter().enumerate() {
            let mut part = vec![0f32; cols.rows * cols.width];
            reference::copy_cols(&back(cols), &dy, &mut part);
            cx.accumulate(k, part);
        }
    }
}
