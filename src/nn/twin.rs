//! Whole networks composed from the kernels' plain-Rust twins (`crate::reference`): the
//! CPU forward, backward and input gradient the tests hold the device's against. Nothing
//! outside the tests and benches needs it.

use super::arch::{Arch, Layer};
use super::weights::Weights;
use crate::error::Result;
use crate::kernels;
use crate::reference;

/// The CPU forward pass through the twins, keeping what a backward pass needs: each layer's
/// input, each max-pool's arg-max (empty for other layers), and the logits.
struct Trace {
    inputs: Vec<Vec<f32>>,
    args: Vec<Vec<u32>>,
    logits: Vec<f32>,
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
    let mut x = images.to_vec();
    let mut prev = arch.input;
    let (mut inputs, mut args) = (Vec::new(), Vec::new());
    for (layer, shape) in arch.layers.iter().zip(&shapes) {
        inputs.push(x.clone());
        let mut arg = Vec::new();
        x = match layer {
            Layer::Conv2d { name, relu, .. } => {
                let s = arch.conv_shape(n, prev, layer).unwrap();
                reference::conv2d_fwd(
                    &s,
                    *relu,
                    &x,
                    weights.get(&format!("{name}.weight")),
                    weights.get(&format!("{name}.bias")),
                )
            }
            Layer::Linear { name, relu, .. } => {
                let s = arch.linear_shape(n, prev, layer).unwrap();
                reference::linear_fwd(
                    &s,
                    *relu,
                    &x,
                    weights.get(&format!("{name}.weight")),
                    weights.get(&format!("{name}.bias")),
                )
            }
            Layer::MaxPool2d { .. } => {
                let s = arch.pool_shape(n, prev, layer).unwrap();
                let (y, a) = reference::maxpool2d_fwd(&s, &x);
                arg = a;
                y
            }
            Layer::Relu => {
                reference::relu_fwd(&mut x);
                x
            }
            Layer::Lrn { .. } => reference::lrn_fwd(&arch.lrn_shape(n, prev, layer).unwrap(), &x),
            Layer::Dropout { p } => match dropout {
                Some((seed, step)) => {
                    let stream = inputs.len() as u32 - 1; // this layer's index
                    reference::dropout(
                        &kernels::DropoutMask {
                            p: *p,
                            seed,
                            stream,
                        },
                        step,
                        &mut x,
                    );
                    x
                }
                None => x,
            },
        };
        args.push(arg);
        prev = *shape;
    }
    Ok(Trace {
        inputs,
        args,
        logits: x,
    })
}

/// The same network on the CPU through the kernels' twins: (logits, probabilities), each
/// `(n, classes)` row-major. The oracle of the end-to-end tests and the benches' baseline.
pub fn reference_forward(
    arch: &Arch,
    weights: &Weights,
    images: &[f32],
) -> Result<(Vec<f32>, Vec<f32>)> {
    let n = images.len() / arch.input_len();
    let logits = reference_trace(arch, weights, images, None)?.logits;
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
    let (dy, loss) = reference::softmax_xent_bwd(n, classes, 1.0 / n as f32, &trace.logits, labels);
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
    let (dy, prob) = reference::softmax_prob_bwd(n, arch.num_classes(), &trace.logits, targets);
    let (_, dinput) = reference_chain(arch, weights, n, trace, dy, false, None)?;
    Ok((prob, dinput))
}

/// Back-propagates `dy` (the gradient of the logits) through a traced forward pass: the
/// parameters' gradients (when `params`, in the order of [`Arch::params`]) and the input's.
fn reference_chain(
    arch: &Arch,
    weights: &Weights,
    n: usize,
    trace: Trace,
    mut dy: Vec<f32>,
    params: bool,
    dropout: Option<(u32, u32)>,
) -> Result<(Vec<Vec<f32>>, Vec<f32>)> {
    let shapes = arch.shapes()?;
    let in_shape = |i: usize| if i == 0 { arch.input } else { shapes[i - 1] };
    let Trace {
        inputs: xs,
        args,
        logits: mut y,
    } = trace;
    let mut grads: Vec<Vec<f32>> = Vec::new(); // filled last layer first
    for i in (0..arch.layers.len()).rev() {
        let layer = &arch.layers[i];
        let prev = in_shape(i);
        let x = &xs[i];
        match layer {
            Layer::Conv2d { name, relu, .. } => {
                if *relu {
                    reference::relu_bwd(&y, &mut dy);
                }
                let s = arch.conv_shape(n, prev, layer).unwrap();
                if params {
                    grads.push(reference::bias_bwd(n, s.out_c, s.out_h() * s.out_w(), &dy));
                    grads.push(reference::conv2d_bwd_weight(&s, &dy, x));
                }
                dy = reference::conv2d_bwd_input(&s, &dy, weights.get(&format!("{name}.weight")));
            }
            Layer::Linear { name, out_f, relu } => {
                if *relu {
                    reference::relu_bwd(&y, &mut dy);
                }
                let s = arch.linear_shape(n, prev, layer).unwrap();
                if params {
                    grads.push(reference::bias_bwd(n, *out_f, 1, &dy));
                    grads.push(reference::linear_bwd_weight(&s, &dy, x));
                }
                dy = reference::linear_bwd_input(&s, &dy, weights.get(&format!("{name}.weight")));
            }
            Layer::MaxPool2d { .. } => {
                let s = arch.pool_shape(n, prev, layer).unwrap();
                dy = reference::maxpool2d_bwd(&s, &dy, &args[i]);
            }
            Layer::Relu => reference::relu_bwd(&y, &mut dy),
            Layer::Lrn { .. } => {
                dy = reference::lrn_bwd(&arch.lrn_shape(n, prev, layer).unwrap(), x, &dy);
            }
            Layer::Dropout { p } => {
                if let Some((seed, step)) = dropout {
                    let m = kernels::DropoutMask {
                        p: *p,
                        seed,
                        stream: i as u32,
                    };
                    reference::dropout(&m, step, &mut dy);
                }
            }
        }
        y = x.clone();
    }
    grads.reverse(); // weight, bias of the first layer first
    Ok((grads, dy))
}
