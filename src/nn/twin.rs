//! Whole networks composed from the kernels' plain-Rust twins (`crate::reference`): the
//! CPU forward, backward and input gradient the tests hold the device's against. Nothing
//! outside the tests and benches needs it.

use super::arch::{Arch, Node};
use super::weights::Weights;
use crate::error::Result;
use crate::reference;

/// The CPU forward pass through the twins, keeping what a backward pass needs: every value
/// of the graph (`values[0]` the input, `values[k + 1]` node k's output) and each max-pool's
/// arg-max (empty for other nodes).
struct Trace {
    values: Vec<Vec<f32>>,
    args: Vec<Vec<u32>>,
}

/// Node `i` of `arch` on `n` images as both twin passes see it: the traced values, the
/// shapes and the weights ([`TwinFwd`] and [`TwinBwd`] dereference to it).
pub(crate) struct TwinNode<'a> {
    arch: &'a Arch,
    weights: &'a Weights,
    pub i: usize,
    pub n: usize,
    values: &'a [Vec<f32>],
    shapes: &'a [[usize; 3]],
}

impl<'a> TwinNode<'a> {
    fn node(&self) -> &'a Node {
        &self.arch.nodes[self.i]
    }

    pub fn inputs(&self) -> usize {
        self.node().inputs.len()
    }

    /// Its input `k`.
    pub fn input(&self, k: usize) -> &'a [f32] {
        &self.values[self.node().inputs[k]]
    }

    pub fn input_shape(&self, k: usize) -> [usize; 3] {
        self.arch.value_shape(self.shapes, self.node().inputs[k])
    }

    pub fn x(&self) -> &'a [f32] {
        self.input(0)
    }

    pub fn x_shape(&self) -> [usize; 3] {
        self.input_shape(0)
    }

    pub fn y_shape(&self) -> [usize; 3] {
        self.shapes[self.i]
    }

    /// The tensor `{name}.{suffix}`.
    pub fn param(&self, name: &str, suffix: &str) -> &'a [f32] {
        self.weights.get(&format!("{name}.{suffix}"))
    }
}

/// What a layer's twin forward pass reads: its node, the values before it.
pub(crate) struct TwinFwd<'a> {
    at: TwinNode<'a>,
    /// `(seed, step)` of a training pass (the trainer's dropout masks).
    pub dropout: Option<(u32, u32)>,
}

impl<'a> std::ops::Deref for TwinFwd<'a> {
    type Target = TwinNode<'a>;
    fn deref(&self) -> &TwinNode<'a> {
        &self.at
    }
}

/// What a layer's twin backward pass reads and writes: its node, the traced values, its
/// output's gradient `dy`, and where its inputs' and parameters' gradients go.
pub(crate) struct TwinBwd<'a> {
    at: TwinNode<'a>,
    /// A max-pool's arg-max from the forward pass.
    pub args: &'a [u32],
    pub dropout: Option<(u32, u32)>,
    /// Whether the parameters' gradients are wanted.
    pub params: bool,
    dy: Vec<f32>,
    grads: &'a mut [Option<Vec<f32>>],
    /// Filled last node first: bias, then weights.
    param_grads: &'a mut Vec<Vec<f32>>,
}

impl<'a> std::ops::Deref for TwinBwd<'a> {
    type Target = TwinNode<'a>;
    fn deref(&self) -> &TwinNode<'a> {
        &self.at
    }
}

impl<'a> TwinBwd<'a> {
    /// Its output, as traced.
    pub fn y(&self) -> &'a [f32] {
        &self.at.values[self.at.i + 1]
    }

    /// Its output's gradient (once).
    pub fn take_dy(&mut self) -> Vec<f32> {
        std::mem::take(&mut self.dy)
    }

    /// Adds `part` to the gradient of input `k` (written by its first reader, summed after).
    pub fn accumulate(&mut self, k: usize, part: Vec<f32>) {
        let g = &mut self.grads[self.at.node().inputs[k]];
        match g {
            None => *g = Some(part),
            Some(g) => reference::add_inplace(&part, g),
        }
    }

    /// Its parameters' gradients.
    pub fn add_param_grads(&mut self, weight: Vec<f32>, bias: Vec<f32>) {
        self.param_grads.push(bias);
        self.param_grads.push(weight);
    }
}

/// `dropout`: `Some((seed, step))` for a training pass (masks as the `dropout` kernel
/// draws them), `None` for inference.
fn reference_trace(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
    dropout: Option<(u32, u32)>,
) -> Result<Trace> {
    let n = images.len() / arch.input_len();
    let shapes = arch.shapes()?;
    let mut values = vec![images.to_vec()];
    let mut args = Vec::new();
    for (i, node) in arch.nodes.iter().enumerate() {
        let cx = TwinFwd {
            at: TwinNode {
                arch,
                weights,
                i,
                n,
                values: &values,
                shapes: &shapes,
            },
            dropout,
        };
        let (y, a) = node.layer.op().twin_forward(&cx);
        values.push(y);
        args.push(a);
    }
    Ok(Trace { values, args })
}

/// The same network on the CPU through the kernels' twins: (logits, probabilities), each
/// `(n, classes)` row-major. The oracle of the end-to-end tests and the benches' baseline.
pub fn reference_forward(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
) -> Result<(Vec<f32>, Vec<f32>)> {
    let n = images.len() / arch.input_len();
    let mut trace = reference_trace(arch, weights, images, None)?;
    let logits = trace.values.pop().unwrap_or_default();
    let probs = reference::softmax_fwd(n, arch.num_classes(), &logits);
    Ok((logits, probs))
}

/// The mean softmax cross-entropy of `images` against `labels` and its gradient with respect
/// to every parameter (in the order of [`Arch::params`]), on the CPU through the kernels'
/// twins: the oracle of the training tests and the training bench's baseline.
pub fn reference_backward(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
    labels: &[u32],
) -> Result<(f64, Vec<Vec<f32>>)> {
    reference_backward_train(arch, weights, images, labels, None)
}

/// As [`reference_backward`], with the dropout layers dropping as a training pass at
/// `(seed, step)` does (the trainer's masks).
pub fn reference_backward_train(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
    labels: &[u32],
    dropout: Option<(u32, u32)>,
) -> Result<(f64, Vec<Vec<f32>>)> {
    let n = labels.len();
    let trace = reference_trace(arch, weights, images, dropout)?;
    let classes = arch.num_classes();
    let logits = trace.values.last().expect("the logits");
    let (dy, loss) = reference::softmax_xent_bwd(n, classes, 1.0 / n as f32, logits, labels);
    let mean_loss = loss.iter().map(|&l| l as f64).sum::<f64>() / n as f64;
    let (grads, _) = reference_chain(arch, weights, n, trace, dy, true, dropout)?;
    Ok((mean_loss, grads))
}

/// The probability of class `targets[i]` for each image and its gradient with respect to the
/// network's input `(n, c, h, w)`, on the CPU through the kernels' twins: the oracle of
/// [`super::InputGradient`] and the gradient-ascent bench's baseline.
pub fn reference_input_gradient(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
    targets: &[u32],
) -> Result<(Vec<f32>, Vec<f32>)> {
    let n = targets.len();
    let trace = reference_trace(arch, weights, images, None)?;
    let logits = trace.values.last().expect("the logits");
    let (dy, prob) = reference::softmax_prob_bwd(n, arch.num_classes(), logits, targets);
    let (_, dinput) = reference_chain(arch, weights, n, trace, dy, false, None)?;
    Ok((prob, dinput))
}

/// Back-propagates `dy` (the gradient of the logits) through a traced forward pass, node by
/// node from the last, summing where values fan out: the parameters' gradients (when
/// `params`, in the order of [`Arch::params`]) and the input's.
fn reference_chain(
    arch: &Arch,
    weights: &Weights,
    n: usize,
    trace: Trace,
    dy: Vec<f32>,
    params: bool,
    dropout: Option<(u32, u32)>,
) -> Result<(Vec<Vec<f32>>, Vec<f32>)> {
    let shapes = arch.shapes()?;
    let Trace { values, args } = trace;
    let mut grads: Vec<Option<Vec<f32>>> = vec![None; values.len()];
    *grads.last_mut().expect("the logits") = Some(dy);
    let mut param_grads: Vec<Vec<f32>> = Vec::new(); // filled last node first
    for (i, node) in arch.nodes.iter().enumerate().rev() {
        let Some(dy) = grads[i + 1].take() else {
            continue;
        };
        let mut cx = TwinBwd {
            at: TwinNode {
                arch,
                weights,
                i,
                n,
                values: &values,
                shapes: &shapes,
            },
            args: &args[i],
            dropout,
            params,
            dy,
            grads: &mut grads,
            param_grads: &mut param_grads,
        };
        node.layer.op().twin_backward(&mut cx);
    }
    param_grads.reverse(); // weight, bias of the first layer first
    Ok((param_grads, grads[0].take().unwrap_or_default()))
}
