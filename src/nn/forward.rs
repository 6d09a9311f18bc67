//! A forward pass over a fixed batch ([`Forward`]): its buffers, where each value of the
//! graph lives in them, and its dispatches, built once and replayed.

use super::layers::SplitLinear;
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels;

/// A forward pass over a fixed batch, ready to replay.
///
/// `input`: `(batch, c, h, w)` f32; `logits` and `probs`: `(batch, classes)` f32.
pub struct Forward {
    pub batch: usize,
    /// Images per pass of the layers.
    pub chunk: usize,
    pub classes: usize,
    pub input: GpuBuffer<f32>,
    pub logits: GpuBuffer<f32>,
    pub probs: GpuBuffer<f32>,
    /// One chunk's activation buffers.
    pub(super) acts: Vec<GpuBuffer<f32>>,
    /// Where each value of the graph lives.
    pub(super) store: Vec<Src>,
    /// The input's shape `(c, h, w)` and each node's output shape.
    pub(super) input_shape: [usize; 3],
    pub(super) shapes: Vec<[usize; 3]>,
    /// Each max-pool's arg-max buffer.
    pub(super) args: Vec<Option<GpuBuffer<u32>>>,
    /// `(nodes)` u32: 1 where a node's output held an infinite or NaN value (an overflow),
    /// set by a check recorded after each node of an inference plan.
    pub(super) overflow: GpuBuffer<u32>,
    /// Row blocks and scratch of the fully-connected layers split across bindings.
    pub(super) _pieces: Vec<Option<SplitLinear>>,
    pub(super) dispatches: Vec<Dispatch>,
    /// The first chunk's dispatches of each node, then the softmax's: `[start, end)` into
    /// `dispatches`.
    pub(super) spans: Vec<(usize, usize)>,
}

/// A buffer of a forward plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    Input,
    Act(usize),
    Logits,
}

impl Forward {
    /// The shape `(c, h, w)` of value `v` (0: the input).
    pub(crate) fn value_shape(&self, v: usize) -> [usize; 3] {
        if v == 0 {
            self.input_shape
        } else {
            self.shapes[v - 1]
        }
    }

    /// Value `v` for the `b` images of the chunk that starts at image `start`.
    pub(crate) fn value(&self, v: usize, start: usize, b: usize) -> View<'_> {
        let len = self.value_shape(v).iter().product::<usize>();
        match self.store[v] {
            Src::Input => self.input.slice(start * len, b * len),
            Src::Logits => self.logits.slice(start * len, b * len),
            Src::Act(k) => self.acts[k].slice(0, b * len),
        }
    }

    /// Where value `v` lives.
    pub(crate) fn store(&self, v: usize) -> Src {
        self.store[v]
    }

    /// Node `i`'s arg-max buffer (max-pooling nodes).
    pub(crate) fn arg(&self, i: usize, len: usize) -> View<'_> {
        self.args[i]
            .as_ref()
            .expect("a max-pool layer")
            .slice(0, len)
    }

    /// The dispatches of node `i` in the first chunk (`i` = the number of nodes: the
    /// softmax), for timing one layer at a time.
    pub fn layer_dispatches(&self, i: usize) -> &[Dispatch] {
        let (a, b) = self.spans[i];
        &self.dispatches[a..b]
    }

    /// Records the whole forward pass into `pass`.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        for d in &self.dispatches {
            d.record(pass);
        }
    }

    /// Uploads `images` into [`Forward::input`], runs the pass and waits.
    pub fn run(&self, gpu: &Gpu, images: &[f32]) -> Result<()> {
        kernels::check_len("forward", "input", images.len(), self.input.len())?;
        self.input.write(gpu, 0, images);
        gpu.run(&self.dispatches.iter().collect::<Vec<_>>())
    }
}
