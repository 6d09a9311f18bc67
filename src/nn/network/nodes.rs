//! What a layer records its forward dispatches with ([`Fwd`]): one node of a network's
//! forward plan, for one chunk of images.

use super::Network;
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::nn::arch::Node;
use crate::nn::forward::Forward;
use crate::nn::layers::SplitLinear;

/// Node `i` of `net`'s plan `plan`, for the `b` images of the chunk from image `start`.
pub(crate) struct Fwd<'a> {
    pub gpu: &'a Gpu,
    net: &'a Network,
    plan: &'a Forward,
    pub i: usize,
    start: usize,
    pub b: usize,
    /// `(seed, step)` of a training pass.
    pub train: Option<(u32, View<'a>)>,
    /// The index of the node's first parameter in the network's.
    first_param: usize,
    out: &'a mut Vec<Dispatch>,
}

impl<'a> Fwd<'a> {
    fn node(&self) -> &'a Node {
        &self.net.arch.nodes[self.i]
    }

    /// How many inputs the node reads.
    pub fn inputs(&self) -> usize {
        self.node().inputs.len()
    }

    /// The node's input `k` for the chunk.
    pub fn input(&self, k: usize) -> View<'a> {
        self.plan.value(self.node().inputs[k], self.start, self.b)
    }

    /// The shape `(c, h, w)` of its input `k`.
    pub fn input_shape(&self, k: usize) -> [usize; 3] {
        self.plan.value_shape(self.node().inputs[k])
    }

    /// Its first input.
    pub fn x(&self) -> View<'a> {
        self.input(0)
    }

    pub fn x_shape(&self) -> [usize; 3] {
        self.input_shape(0)
    }

    /// Its output for the chunk.
    pub fn y(&self) -> View<'a> {
        self.plan.value(self.i + 1, self.start, self.b)
    }

    pub fn y_shape(&self) -> [usize; 3] {
        self.plan.value_shape(self.i + 1)
    }

    /// Whether its output lives in its input's buffer (it works in place).
    pub fn in_place(&self) -> bool {
        self.plan.store(self.i + 1) == self.plan.store(self.node().inputs[0])
    }

    /// Its parameter `k` (0: the weights, 1: the bias).
    pub fn param(&self, k: usize) -> &'a GpuBuffer<f32> {
        &self.net.params[self.first_param + k]
    }

    /// A max-pool's arg-max buffer for the chunk.
    pub fn arg(&self) -> View<'a> {
        self.plan.arg(self.i, self.y().len)
    }

    /// A fully-connected layer's row blocks, when its weights exceed one binding.
    pub fn pieces(&self) -> &'a Option<SplitLinear> {
        &self.plan._pieces[self.i]
    }

    /// Records a dispatch.
    pub fn push(&mut self, d: Result<Dispatch>) -> Result<()> {
        self.out.push(d?);
        Ok(())
    }
}

impl Network {
    /// Records node `i`'s dispatches for the chunk of `b` images from image `start`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn node_dispatches(
        &self,
        gpu: &Gpu,
        plan: &Forward,
        (i, first_param): (usize, usize),
        (start, b): (usize, usize),
        train: Option<(u32, View<'_>)>,
        out: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let mut cx = Fwd {
            gpu,
            net: self,
            plan,
            i,
            start,
            b,
            train,
            first_param,
            out,
        };
        self.arch.nodes[i].layer.op().forward(&mut cx)
    }
}
