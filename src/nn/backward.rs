//! The backward pass on the device: from a gradient with respect to the logits back through
//! every node of a [`Forward`] plan's graph, to the parameters (training) and to the input
//! (gradient ascent), with the same kernels for both. Where a value fans out, the gradients
//! of its readers are summed.

use super::arch::{Layer, PoolKind};
use super::forward::{concat_cols, mul_broadcast, Forward, Src};
use super::network::Network;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, Activation, Fused, LinearShape};

/// The dispatches of one backward pass and the buffers they write.
pub(crate) struct Backward {
    /// The parameters' gradients, in the order of [`super::Arch::params`] (empty unless
    /// asked for).
    pub params: Vec<GpuBuffer<f32>>,
    /// Gradients with respect to the values, and scratch buffers.
    _buffers: Vec<GpuBuffer<f32>>,
    pub dispatches: Vec<Dispatch>,
}

/// Where the gradient of each value of the graph goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Grad {
    /// Not wanted (the input, when no input gradient is asked for).
    None,
    /// The logits' gradient, given.
    Logits,
    /// The input's gradient, asked for.
    Input,
    /// Buffer `k` of the pass.
    Buf(usize),
}

/// The gradients of the values: where each goes, and the buffers.
struct Grads<'a> {
    of: Vec<Grad>,
    bufs: Vec<GpuBuffer<f32>>,
    dlogits: View<'a>,
    dinput: Option<View<'a>>,
}

impl<'a> Grads<'a> {
    fn view(&self, g: Grad) -> Option<View<'_>> {
        match g {
            Grad::None => None,
            Grad::Logits => Some(self.dlogits),
            Grad::Input => self.dinput,
            Grad::Buf(k) => Some(self.bufs[k].view()),
        }
    }

    /// The gradient of value `v`, when wanted.
    fn of(&self, v: usize) -> Option<View<'_>> {
        self.view(self.of[v])
    }

    /// Whether value `v` shares the gradient of value `u` (its only reader passes it on in
    /// place).
    fn shares(&self, v: usize, u: usize) -> bool {
        self.of[v] != Grad::None && self.of[v] == self.of[u]
    }
}

/// Records the backward pass over the first `batch` images of `plan` (one chunk) from
/// `dlogits` `(batch, classes)`: the parameters' gradients when `params` is set (summed over
/// the batch), and the gradient with respect to the network's input into `dinput` when given.
/// A ReLU that worked in place, and a flatten or dropout, pass their gradient on in place
/// where nothing else reads their input. With `dropout` (`(seed, step)` of a
/// [`Network::train_plan`]), dropout layers drop the same elements of the gradient as the
/// forward pass did; without, they are the identity.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    gpu: &Gpu,
    net: &Network,
    plan: &Forward,
    batch: usize,
    dlogits: View<'_>,
    params: bool,
    dinput: Option<View<'_>>,
    dropout: Option<(u32, View<'_>)>,
) -> Result<Backward> {
    let arch = &net.arch;
    check(net, plan, batch, params)?;
    let param_grads = param_grads(gpu, arch, params)?;
    let first_param = arch.first_params();
    let g = grads(gpu, net, plan, batch, dlogits, dinput)?;
    // whether a reader has written each value's gradient yet (the logits' is given)
    let mut written = vec![false; arch.nodes.len() + 1];
    written[arch.nodes.len()] = true;
    let mut dispatches = Vec::new();
    let mut scratch = Vec::new();
    for i in (0..arch.nodes.len()).rev() {
        if !written[i + 1] {
            continue; // nothing downstream reads this node's output
        }
        let p = first_param[i];
        let grads = param_grads.get(p).zip(param_grads.get(p + 1));
        let weights = net.params.get(p);
        node_backward(
            gpu,
            (net, plan),
            (i, batch),
            (&g, &mut written),
            (weights, grads),
            dropout,
            &mut scratch,
            &mut dispatches,
        )?;
    }
    if dinput.is_some() && !written[0] {
        return Err(Error::Option {
            option: "architecture".into(),
            message: format!("{}: the logits do not depend on the input", arch.name),
        });
    }
    let mut buffers = g.bufs;
    buffers.append(&mut scratch);
    Ok(Backward {
        params: param_grads,
        _buffers: buffers,
        dispatches,
    })
}

/// Where each value's gradient goes: the logits' is given, the input's is `dinput`'s (or not
/// wanted), a value read only by a node that passes its gradient on in place (a ReLU that
/// worked in place, a flatten, a dropout) shares that node's output gradient, and every
/// other value gets a buffer of its own.
fn grads<'a>(
    gpu: &Gpu,
    net: &Network,
    plan: &Forward,
    b: usize,
    dlogits: View<'a>,
    dinput: Option<View<'a>>,
) -> Result<Grads<'a>> {
    let arch = &net.arch;
    let n = arch.nodes.len();
    let consumers = arch.consumers();
    let mut of = vec![Grad::None; n + 1];
    of[n] = Grad::Logits;
    if dinput.is_some() {
        of[0] = Grad::Input;
    }
    let mut bufs = Vec::new();
    for v in (1..n).rev() {
        let readers = &consumers[v];
        of[v] = match readers.as_slice() {
            [only] if passes_in_place(plan, *only, v) => of[*only + 1],
            _ => {
                let len = b * plan.value_shape(v).iter().product::<usize>();
                bufs.push(GpuBuffer::zeros(gpu, "gradient", len)?);
                Grad::Buf(bufs.len() - 1)
            }
        };
    }
    Ok(Grads {
        of,
        bufs,
        dlogits,
        dinput,
    })
}

/// Whether node `i` passes the gradient of its output to its input `v` in place: it works
/// in place, or its output is its input's values.
fn passes_in_place(plan: &Forward, i: usize, v: usize) -> bool {
    plan.store(i + 1) == plan.store(v) && plan.store(v) != Src::Input
}
/// Refuses a backward pass the plan cannot take: more than one chunk, or parameter gradients
/// of layers that have none here.
fn check(net: &Network, plan: &Forward, b: usize, params: bool) -> Result<()> {
    if b > plan.chunk {
        return Err(Error::Option {
            option: "batch".into(),
            message: format!(
                "a backward pass takes at most the {} images of one forward chunk on this adapter",
                plan.chunk
            ),
        });
    }
    if params {
        if let Some(n) = net
            .arch
            .nodes
            .iter()
            .find(|n| matches!(n.layer, Layer::Affine { .. }))
        {
            return Err(Error::Option {
                option: "--net".into(),
                message: format!(
                    "{}: training does not take {} layers (convolutions, fully-connected layers, pooling, LRN, ReLU and dropout only)",
                    net.arch.name,
                    n.layer.kind()
                ),
            });
        }
    }
    Ok(())
}

/// The parameters' gradient buffers (none unless `params`).
fn param_grads(gpu: &Gpu, arch: &super::Arch, params: bool) -> Result<Vec<GpuBuffer<f32>>> {
    if !params {
        return Ok(Vec::new());
    }
    arch.params()?
        .iter()
        .map(|spec| GpuBuffer::zeros(gpu, &format!("grad {}", spec.name), spec.len()))
        .collect()
}

/// A layer's weight and bias gradients.
type ParamGrads<'a> = (&'a GpuBuffer<f32>, &'a GpuBuffer<f32>);

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
fn node_backward(
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
