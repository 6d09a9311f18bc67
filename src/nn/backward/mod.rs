//! The backward pass on the device: from a gradient with respect to the logits back through
//! every node of a [`Forward`] plan's graph, to the parameters (training) and to the input
//! (gradient ascent), with the same kernels for both. Where a value fans out, the gradients
//! of its readers are summed.

mod nodes;

use nodes::node_backward;
pub(crate) use nodes::Bwd;

use super::arch::Layer;
use super::forward::{Forward, Src};
use super::network::Network;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};

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
        return Err(Error::invalid(
            "architecture",
            format!("{}: the logits do not depend on the input", arch.name),
        ));
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
        return Err(Error::invalid(
            "batch",
            format!(
                "a backward pass takes at most the {} images of one forward chunk on this adapter",
                plan.chunk
            ),
        ));
    }
    if params {
        if let Some(n) = net
            .arch
            .nodes
            .iter()
            .find(|n| matches!(n.layer, Layer::Affine(_)))
        {
            return Err(Error::setting("net", format!(
                    "{}: training does not take {} layers (convolutions, fully-connected layers, pooling, LRN, ReLU and dropout only)",
                    net.arch.name,
                    n.layer.kind()
                )));
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
pub(crate) type ParamGrads<'a> = (&'a GpuBuffer<f32>, &'a GpuBuffer<f32>);
