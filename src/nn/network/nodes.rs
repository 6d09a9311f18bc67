//! What each node of a network records into a forward plan: its layer's dispatches for a
//! chunk of images, fully-connected layers past one binding run in row blocks.

use super::Network;
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, Activation, Fused, LinearShape};
use crate::nn::arch::{Layer, PoolKind};
use crate::nn::forward::{concat_cols, mul_broadcast, Forward};

impl Network {
    /// Records node `i`'s dispatches for the chunk of `b` images from image `start`.
    pub(super) fn node_dispatches(
        &self,
        gpu: &Gpu,
        plan: &Forward,
        i: usize,
        (start, b): (usize, usize),
        train: Option<(u32, View<'_>)>,
        out: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let arch = &self.arch;
        let node = &arch.nodes[i];
        let layer = &node.layer;
        let x_shape = plan.value_shape(node.inputs[0]);
        let x = plan.value(node.inputs[0], start, b);
        let y = plan.value(i + 1, start, b);
        let p = arch.first_params()[i];
        let param = |k: usize| self.params[p + k].view();
        match layer {
            Layer::Pad { .. } => {
                let s = arch.pad_shape(b, x_shape, layer).unwrap();
                out.push(kernels::pad2d_fwd(gpu, &s, x, y)?);
            }
            Layer::Conv2d { act, .. } => {
                let s = arch.conv_shape(b, x_shape, layer).unwrap();
                out.push(kernels::conv2d_fwd(
                    gpu,
                    &s,
                    *act,
                    x,
                    param(0),
                    param(1),
                    y,
                )?);
            }
            Layer::Linear { act, .. } => {
                let s = arch.linear_shape(b, x_shape, layer).unwrap();
                let (w, bias) = (&self.params[p], &self.params[p + 1]);
                linear(gpu, &s, *act, (x, y), (w, bias), &plan._pieces[i], out)?;
            }
            Layer::Pool {
                kind: PoolKind::Max,
                ..
            } => {
                let s = arch.pool_shape(b, x_shape, layer).unwrap();
                out.push(kernels::maxpool2d_fwd(gpu, &s, x, y, plan.arg(i, y.len))?);
            }
            Layer::Pool {
                kind: PoolKind::Avg { count_pad },
                ..
            } => {
                let s = arch.pool_shape(b, x_shape, layer).unwrap();
                out.push(kernels::avgpool2d_fwd(gpu, &s, *count_pad, x, y)?);
            }
            Layer::GlobalAvgPool => {
                let s = arch.pool_shape(b, x_shape, layer).unwrap();
                out.push(kernels::avgpool2d_fwd(gpu, &s, false, x, y)?);
            }
            Layer::Lrn { .. } => {
                let s = arch.lrn_shape(b, x_shape, layer).unwrap();
                out.push(kernels::lrn_fwd(gpu, &s, x, y)?);
            }
            Layer::Relu if plan.store[i + 1] == plan.store[node.inputs[0]] => {
                out.push(kernels::relu_fwd(gpu, x)?)
            }
            Layer::Relu => out.push(kernels::act_fwd(gpu, Activation::Relu, x, y)?),
            Layer::Act(f) => out.push(kernels::act_fwd(gpu, *f, x, y)?),
            Layer::Dropout { p } => {
                if let Some((seed, step)) = train {
                    let m = kernels::DropoutMask {
                        p: *p,
                        seed,
                        stream: i as u32,
                    };
                    out.push(kernels::dropout(gpu, &m, step, x)?);
                } // at inference: the identity
            }
            Layer::Reshape(_) => {}
            Layer::Affine { .. } => {
                let [c, h, w] = x_shape;
                let s = kernels::Broadcast {
                    n: x.len,
                    inner: h * w,
                    b_len: c,
                };
                out.push(kernels::affine_fwd(gpu, &s, x, param(0), param(1), y)?);
            }
            Layer::Add => {
                let x2 = plan.value(node.inputs[1], start, b);
                out.push(kernels::add_fwd(gpu, x, x2, y)?);
            }
            Layer::Mul => {
                let x2 = plan.value(node.inputs[1], start, b);
                out.push(kernels::mul_fwd(
                    gpu,
                    &mul_broadcast(x.len, x2.len),
                    x,
                    x2,
                    y,
                )?);
            }
            Layer::Concat => {
                let total = plan.value_shape(i + 1);
                let hw = total[1] * total[2];
                let mut at = 0;
                for &v in &node.inputs {
                    let c = plan.value_shape(v)[0];
                    let cols = concat_cols(b, c, at, total[0], hw);
                    out.push(kernels::copy_cols(gpu, &cols, plan.value(v, start, b), y)?);
                    at += c;
                }
            }
        }
        Ok(())
    }
}

/// A fully-connected layer run in row blocks: `(first row, rows)` of each block, and the
/// scratch buffer one block's outputs go through.
pub(crate) type SplitLinear = (Vec<(usize, usize)>, GpuBuffer<f32>);

/// A fully-connected layer's forward dispatches from `x` into `y`; weights past one binding
/// (`pieces`) run as blocks of output features, each computed into the scratch buffer and
/// copied into its columns.
fn linear(
    gpu: &Gpu,
    s: &LinearShape,
    act: Fused,
    (x, y): (View<'_>, View<'_>),
    (w, bias): (&GpuBuffer<f32>, &GpuBuffer<f32>),
    pieces: &Option<SplitLinear>,
    dispatches: &mut Vec<Dispatch>,
) -> Result<()> {
    let (s, b) = (*s, s.batch);
    match pieces {
        None => dispatches.push(kernels::linear_fwd(
            gpu,
            &s,
            act,
            x,
            w.view(),
            bias.view(),
            y,
        )?),
        // weights past one binding: blocks of output features, each
        // computed into the scratch buffer and copied into its columns
        Some((blocks, scratch)) => {
            for &(first, rows) in blocks {
                let part = LinearShape { out_f: rows, ..s };
                let out = scratch.slice(0, b * rows);
                dispatches.push(kernels::linear_fwd(
                    gpu,
                    &part,
                    act,
                    x,
                    w.slice(first * s.in_f, rows * s.in_f),
                    bias.slice(first, rows),
                    out,
                )?);
                let cols = kernels::Cols {
                    rows: b,
                    width: rows,
                    src_stride: rows,
                    src_col: 0,
                    dst_stride: s.out_f,
                    dst_col: first,
                };
                dispatches.push(kernels::copy_cols(gpu, &cols, out, y)?);
            }
        }
    }
    Ok(())
}
