//! What a layer records its backward dispatches with ([`Bwd`]): one node of the backward
//! pass, with where its inputs' gradients go (written by their first reader, summed into
//! by the others).

use super::{Grads, ParamGrads};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, Fused};
use crate::nn::arch::Node;
use crate::nn::forward::Forward;
use crate::nn::network::Network;

/// Node `i` of `net`'s backward pass over the first `b` images of `plan`.
pub(crate) struct Bwd<'a> {
    pub gpu: &'a Gpu,
    net: &'a Network,
    plan: &'a Forward,
    pub i: usize,
    pub b: usize,
    g: &'a Grads<'a>,
    /// Whether a reader has written each value's gradient yet.
    written: &'a mut [bool],
    /// The node's first parameter (the weights), when it has any.
    pub weights: Option<&'a GpuBuffer<f32>>,
    /// Where its parameters' gradients go, when asked for.
    pub grads: Option<ParamGrads<'a>>,
    /// `(seed, step)` of a training pass with dropout.
    pub dropout: Option<(u32, View<'a>)>,
    /// Buffers the dispatches write, kept as long as they are.
    scratch: &'a mut Vec<GpuBuffer<f32>>,
    pub out: &'a mut Vec<Dispatch>,
}

impl<'a> Bwd<'a> {
    fn node(&self) -> &'a Node {
        &self.net.arch.nodes[self.i]
    }

    /// How many inputs the node reads.
    pub fn inputs(&self) -> usize {
        self.node().inputs.len()
    }

    /// Its input `k`, as the forward pass left it.
    pub fn input(&self, k: usize) -> View<'a> {
        self.plan.value(self.node().inputs[k], 0, self.b)
    }

    pub fn input_shape(&self, k: usize) -> [usize; 3] {
        self.plan.value_shape(self.node().inputs[k])
    }

    pub fn x(&self) -> View<'a> {
        self.input(0)
    }

    pub fn x_shape(&self) -> [usize; 3] {
        self.input_shape(0)
    }

    /// Its output, as the forward pass left it.
    pub fn y(&self) -> View<'a> {
        self.plan.value(self.i + 1, 0, self.b)
    }

    pub fn y_shape(&self) -> [usize; 3] {
        self.plan.value_shape(self.i + 1)
    }

    /// The gradient of its output.
    pub fn dy(&self) -> View<'a> {
        self.g.of(self.i + 1).expect("an output gradient")
    }

    /// A max-pool's arg-max buffer.
    pub fn arg(&self) -> View<'a> {
        self.plan.arg(self.i, self.y().len)
    }

    /// Whether its first input's gradient is its output's (it passes it on in place).
    pub fn shares_input(&self) -> bool {
        self.g.shares(self.node().inputs[0], self.i + 1)
    }

    /// Marks the gradient of input `k` written (by a dispatch in place).
    pub fn mark_written(&mut self, k: usize) {
        let v = self.node().inputs[k];
        self.written[v] = true;
    }

    /// Records a dispatch.
    pub fn push(&mut self, d: Result<Dispatch>) -> Result<()> {
        self.out.push(d?);
        Ok(())
    }

    /// Keeps buffers that its dispatches write.
    pub fn keep(&mut self, buffers: Vec<GpuBuffer<f32>>) {
        self.scratch.extend(buffers);
    }

    /// The gradient before a fused ReLU, in place of its output's: where the activation
    /// `act` is one.
    pub fn fused_relu(&mut self, act: Fused) -> Result<()> {
        match act {
            Fused::Relu(cap) => self.push(kernels::relu_bwd(self.gpu, cap, self.y(), self.dy())),
            Fused::None => Ok(()),
        }
    }

    /// Writes a contribution to the gradient of input `k` with `produce` (which records the
    /// dispatches that write it into the view it is given): straight into the gradient when
    /// no other reader of that value wrote it yet, else into a scratch buffer then summed
    /// into it.
    pub fn contribute(
        &mut self,
        k: usize,
        produce: impl FnOnce(View<'_>, &mut Vec<Dispatch>) -> Result<()>,
    ) -> Result<()> {
        let v = self.node().inputs[k];
        let Some(target) = self.g.of(v) else {
            return Ok(());
        };
        if !self.written[v] {
            produce(target, self.out)?;
        } else {
            let part = GpuBuffer::<f32>::zeros(self.gpu, "gradient part", target.len)?;
            produce(part.view(), self.out)?;
            self.out
                .push(kernels::add_inplace(self.gpu, part.view(), target)?);
            self.scratch.push(part);
        }
        self.written[v] = true;
        Ok(())
    }

    /// Adds `dy` to the gradient of input `k` (a sum's or a copy's contribution): copied when
    /// no other reader wrote it yet, else summed in.
    pub fn identity(&mut self, k: usize, dy: View<'_>) -> Result<()> {
        let v = self.node().inputs[k];
        let Some(target) = self.g.of(v) else {
            return Ok(());
        };
        self.out.push(if self.written[v] {
            kernels::add_inplace(self.gpu, dy, target)?
        } else {
            let all = kernels::Cols {
                rows: 1,
                width: dy.len,
                src_stride: dy.len,
                src_col: 0,
                dst_stride: dy.len,
                dst_col: 0,
            };
            kernels::copy_cols(self.gpu, &all, dy, target)?
        });
        self.written[v] = true;
        Ok(())
    }

    /// Passes its output's gradient on to its first input unchanged (a flatten's, an
    /// inference dropout's): in place where the two share it, else copied or summed in.
    pub fn pass_on(&mut self) -> Result<()> {
        if self.shares_input() {
            self.mark_written(0);
            Ok(())
        } else {
            self.identity(0, self.dy())
        }
    }
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
    (weights, grads): (Option<&GpuBuffer<f32>>, Option<ParamGrads<'_>>),
    dropout: Option<(u32, View<'_>)>,
    scratch: &mut Vec<GpuBuffer<f32>>,
    out: &mut Vec<Dispatch>,
) -> Result<()> {
    let mut cx = Bwd {
        gpu,
        net,
        plan,
        i,
        b,
        g,
        written,
        weights,
        grads,
        dropout,
        scratch,
        out,
    };
    net.arch.nodes[i].layer.op().backward(&mut cx)
}
