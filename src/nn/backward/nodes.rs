//! What each node of a network records into the backward pass: its layer's gradient with
//! respect to its parameters and its inputs, written into the inputs' gradients or summed
//! into what their other readers wrote.

use super::{Grads, ParamGrads};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, Activation, Fused, LinearShape};
use crate::nn::arch::{Layer, PoolKind};
use crate::nn::forward::{concat_cols, mul_broadcast, Forward};
use crate::nn::network::Network;

/// A fully-connected layer's backward dispatches from `dy` to its parameters' gradients
/// `grads` (when given) and to `dx` (when given); weights past one binding run in blocks of
/// output features; returns their scratch buffers, which must live as long as the dispatches.
fn linear(
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
    } else {
        // weights past one binding: each block of output features takes its
        // columns of dy; the blocks' input gradients are summed
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
        return Ok(vec![block_dy, block_dx]);
    }
    Ok(Vec::new())
}

/// Records node `i`'s backward dispatches: from the gradient of its output to its
/// parameters' gradients and to its inputs' gradients (written, or summed into what other
/// readers wrote).
#[allow(clippy::too_many_arguments)]
pub(super) fn node_backward(
    gpu: &Gpu,
    (net, plan): (&Network, &Forward),
    (i, b): (usize, usize),
    (g, written): (&Grads<'_>, &mut [bool]),
    (w, grads): (Option<&GpuBuffer<f32>>, Option<ParamGrads<'_>>),
    dropout: Option<(u32, View<'_>)>,
    scratch: &mut Vec<GpuBuffer<f32>>,
    out: &mut Vec<Dispatch>,
) -> Result<()> {
    let arch = &net.arch;
    let node = &arch.nodes[i];
    let layer = &node.layer;
    let x_shape = plan.value_shape(node.inputs[0]);
    let x = plan.value(node.inputs[0], 0, b);
    let y = plan.value(i + 1, 0, b);
    let dy = g.of(i + 1).expect("an output gradient");
    // the fused or in-place ReLU first: dy becomes the gradient before it, in place
    match layer {
        Layer::Conv2d {
            act: Fused::Relu(cap),
            ..
        }
        | Layer::Linear {
            act: Fused::Relu(cap),
            ..
        } => out.push(kernels::relu_bwd(gpu, *cap, y, dy)?),
        Layer::Relu if g.shares(node.inputs[0], i + 1) => {
            out.push(kernels::relu_bwd(gpu, f32::INFINITY, y, dy)?)
        }
        _ => {}
    }
    match layer {
        Layer::Conv2d { .. } => {
            let s = arch.conv_shape(b, x_shape, layer).unwrap();
            let w = w.expect("a convolution's weights");
            if let Some(gr) = grads {
                out.push(kernels::conv2d_bwd_weight(gpu, &s, dy, x, gr.0.view())?);
                let hw = s.out_h() * s.out_w();
                out.push(kernels::bias_bwd(gpu, b, s.out_c, hw, dy, gr.1.view())?);
            }
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::conv2d_bwd_input(gpu, &s, dy, w.view(), dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Linear { .. } => {
            let s = arch.linear_shape(b, x_shape, layer).unwrap();
            let w = w.expect("a fully-connected layer's weights");
            if let Some(gr) = grads {
                scratch.extend(linear(gpu, &s, (x, dy, None), (w, Some(gr)), out)?);
            }
            let mut kept = Vec::new();
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    kept = linear(gpu, &s, (x, dy, Some(dx)), (w, None), out)?;
                    Ok(())
                },
            )?;
            scratch.extend(kept);
        }
        Layer::Pool {
            kind: PoolKind::Max,
            ..
        } => {
            let s = arch.pool_shape(b, x_shape, layer).unwrap();
            let arg = plan.arg(i, y.len);
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::maxpool2d_bwd(gpu, &s, dy, arg, dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Pool {
            kind: PoolKind::Avg { .. },
            ..
        }
        | Layer::GlobalAvgPool => {
            let s = arch.pool_shape(b, x_shape, layer).unwrap();
            let count_pad = matches!(
                layer,
                Layer::Pool {
                    kind: PoolKind::Avg { count_pad: true },
                    ..
                }
            );
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::avgpool2d_bwd(gpu, &s, count_pad, dy, dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Pad { .. } => {
            let s = arch.pad_shape(b, x_shape, layer).unwrap();
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::pad2d_bwd(gpu, &s, dy, dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Lrn { .. } => {
            let s = arch.lrn_shape(b, x_shape, layer).unwrap();
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::lrn_bwd(gpu, &s, x, dy, dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Relu | Layer::Act(_) => {
            if g.shares(node.inputs[0], i + 1) {
                written[node.inputs[0]] = true; // relu_bwd above, in place
            } else {
                let f = match layer {
                    Layer::Act(f) => *f,
                    _ => Activation::Relu,
                };
                contribute(
                    gpu,
                    (g, written),
                    node.inputs[0],
                    scratch,
                    out,
                    |dx, out| {
                        out.push(kernels::act_bwd(gpu, f, x, dy, dx)?);
                        Ok(())
                    },
                )?;
            }
        }
        Layer::Dropout { .. } | Layer::Reshape(_) => {
            if let (Layer::Dropout { p }, Some((seed, step))) = (layer, dropout) {
                let m = kernels::DropoutMask {
                    p: *p,
                    seed,
                    stream: i as u32,
                };
                out.push(kernels::dropout(gpu, &m, step, dy)?);
            }
            if g.shares(node.inputs[0], i + 1) {
                written[node.inputs[0]] = true;
            } else {
                identity(gpu, (g, written), node.inputs[0], dy, out)?;
            }
        }
        Layer::Affine { .. } => {
            let [c, h, w_] = x_shape;
            let s = kernels::Broadcast {
                n: x.len,
                inner: h * w_,
                b_len: c,
            };
            let scale = w.expect("an affine layer's scale");
            contribute(
                gpu,
                (g, written),
                node.inputs[0],
                scratch,
                out,
                |dx, out| {
                    out.push(kernels::mul_fwd(gpu, &s, dy, scale.view(), dx)?);
                    Ok(())
                },
            )?;
        }
        Layer::Add => {
            for &v in &node.inputs {
                identity(gpu, (g, written), v, dy, out)?;
            }
        }
        Layer::Mul => {
            let (a, m) = (node.inputs[0], node.inputs[1]);
            let (xa, xm) = (x, plan.value(m, 0, b));
            let s = mul_broadcast(xa.len, xm.len);
            contribute(gpu, (g, written), a, scratch, out, |dx, out| {
                out.push(kernels::mul_fwd(gpu, &s, dy, xm, dx)?);
                Ok(())
            })?;
            contribute(gpu, (g, written), m, scratch, out, |dm, out| {
                out.push(if s.inner == 1 {
                    kernels::mul_fwd(gpu, &s, dy, xa, dm)?
                } else {
                    kernels::mul_bwd_b(gpu, &s, dy, xa, dm)?
                });
                Ok(())
            })?;
        }
        Layer::Concat => {
            let total = plan.value_shape(i + 1);
            let hw = total[1] * total[2];
            let mut at = 0;
            for &v in &node.inputs {
                let c = plan.value_shape(v)[0];
                let cols = concat_cols(b, c, at, total[0], hw);
                // the input's columns of dy, back into a block of its own
                let back = kernels::Cols {
                    src_stride: cols.dst_stride,
                    src_col: cols.dst_col,
                    dst_stride: cols.src_stride,
                    dst_col: 0,
                    ..cols
                };
                contribute(gpu, (g, written), v, scratch, out, |dx, out| {
                    out.push(kernels::copy_cols(gpu, &back, dy, dx)?);
                    Ok(())
                })?;
                at += c;
            }
        }
    }
    Ok(())
}

/// Writes a contribution to the gradient of value `v` with `produce` (which records the
/// dispatches that write it into the view it is given): straight into the gradient when no
/// other reader of `v` wrote it yet, else into a scratch buffer then summed into it.
fn contribute(
    gpu: &Gpu,
    (g, written): (&Grads<'_>, &mut [bool]),
    v: usize,
    scratch: &mut Vec<GpuBuffer<f32>>,
    out: &mut Vec<Dispatch>,
    produce: impl FnOnce(View<'_>, &mut Vec<Dispatch>) -> Result<()>,
) -> Result<()> {
    let Some(target) = g.of(v) else {
        return Ok(());
    };
    if !written[v] {
        produce(target, out)?;
    } else {
        let part = GpuBuffer::<f32>::zeros(gpu, "gradient part", target.len)?;
        produce(part.view(), out)?;
        out.push(kernels::add_inplace(gpu, part.view(), target)?);
        scratch.push(part);
    }
    written[v] = true;
    Ok(())
}

/// Adds `dy` to the gradient of value `v` (a sum's or a copy's contribution): copied when no
/// other reader wrote it yet, else summed in.
fn identity(
    gpu: &Gpu,
    (g, written): (&Grads<'_>, &mut [bool]),
    v: usize,
    dy: View<'_>,
    out: &mut Vec<Dispatch>,
) -> Result<()> {
    let Some(target) = g.of(v) else {
        return Ok(());
    };
    out.push(if written[v] {
        kernels::add_inplace(gpu, dy, target)?
    } else {
        let all = kernels::Cols {
            rows: 1,
            width: dy.len,
            src_stride: dy.len,
            src_col: 0,
            dst_stride: dy.len,
            dst_col: 0,
        };
        kernels::copy_cols(gpu, &all, dy, target)?
    });
    written[v] = true;
    Ok(())
}
