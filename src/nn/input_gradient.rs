//! The gradient of a class's softmax probability with respect to a network's input, for a
//! batch of images each with its own target class ([`InputGradient`]): what gradient ascent
//! and the tests of every network's backward pass use.

use super::backward::{backward, Backward};
use super::forward::Forward;
use super::network::Network;
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels;

/// The gradient of one class's softmax probability with respect to the network's input, for
/// every image of a batch, each with its own target class: a forward pass, the probability's
/// gradient at the logits (`softmax_prob_bwd`) and the backward pass to the input, all
/// recorded once and replayed.
pub struct InputGradient {
    pub forward: Forward,
    /// `(batch)` u32: the class whose probability each image's gradient is of.
    pub target: GpuBuffer<u32>,
    /// `(batch)` f32: that class's probability.
    pub prob: GpuBuffer<f32>,
    /// `(batch, c, h, w)` f32: d prob / d input.
    pub grad: GpuBuffer<f32>,
    _dlogits: GpuBuffer<f32>,
    _backward: Backward,
    dispatches: Vec<Dispatch>,
}

impl Network {
    /// Buffers and dispatches for the input gradient of `batch` images (at most one forward
    /// chunk on this adapter, see [`Network::max_chunk`]).
    pub fn input_gradient_plan(&self, gpu: &Gpu, batch: usize) -> Result<InputGradient> {
        let forward = self.forward_plan(gpu, batch)?;
        let classes = self.arch.num_classes();
        let target = GpuBuffer::<u32>::zeros(gpu, "target classes", batch)?;
        let prob = GpuBuffer::<f32>::zeros(gpu, "target probabilities", batch)?;
        let grad = GpuBuffer::<f32>::zeros(gpu, "input gradient", forward.input.len())?;
        let dlogits = GpuBuffer::<f32>::zeros(gpu, "dlogits", batch * classes)?;
        let mut dispatches = vec![kernels::softmax_prob_bwd(
            gpu,
            batch,
            classes,
            forward.logits.view(),
            target.view(),
            dlogits.view(),
            prob.view(),
        )?];
        let mut back = backward(
            gpu,
            self,
            &forward,
            batch,
            dlogits.view(),
            false,
            Some(grad.view()),
            None,
        )?;
        dispatches.append(&mut back.dispatches);
        Ok(InputGradient {
            forward,
            target,
            prob,
            grad,
            _dlogits: dlogits,
            _backward: back,
            dispatches,
        })
    }
}

impl InputGradient {
    /// The dispatches after the forward pass: the probability's gradient, then the backward
    /// pass node by node (what a profile times one by one).
    pub fn backward_dispatches(&self) -> &[Dispatch] {
        &self.dispatches
    }

    /// Records the forward pass, the probability's gradient and the backward pass.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.forward.record(pass);
        for d in &self.dispatches {
            d.record(pass);
        }
    }

    /// Uploads `images` (the network's input values) and `targets`, runs, waits and reads
    /// back (the target probabilities, the input gradient).
    pub fn run(&self, gpu: &Gpu, images: &[f32], targets: &[u32]) -> Result<(Vec<f32>, Vec<f32>)> {
        kernels::check_len(
            "input gradient",
            "input",
            images.len(),
            self.forward.input.len(),
        )?;
        kernels::check_len(
            "input gradient",
            "targets",
            targets.len(),
            self.target.len(),
        )?;
        self.forward.input.write(gpu, 0, images);
        self.target.write(gpu, 0, targets);
        gpu.submit("input gradient", |pass| self.record(pass));
        self.prob.read_with(&self.grad, gpu)
    }
}
