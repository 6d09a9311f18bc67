//! Whole networks composed from the kernels' plain-Rust twins (`crate::reference`): the
//! CPU forward, backward and input gradient the tests hold the device's against. Nothing
//! outside the tests and benches needs it.

use super::arch::{Arch, Layer, PoolKind};
use super::forward::{concat_cols, mul_broadcast};
use super::weights::Weights;
use crate::error::Result;
use crate::kernels::{self, Fused};
use crate::reference;

/// The CPU forward pass through the twins, keeping what a backward pass needs: every value
/// of the graph (`values[0]` the input, `values[k + 1]` node k's output) and each max-pool's
/// arg-max (empty for other nodes).
struct Trace {
    values: Vec<Vec<f32>>,
    args: Vec<Vec<u32>>,
}

/// The twin of one node's forward pass on `n` images.
fn node_forward(
    arch: &Arch,
    weights: &Weights,
    (i, n): (usize, usize),
    values: &[Vec<f32>],
    shapes: &[[usize; 3]],
    dropout: Option<(u32, u32)>,
) -> (Vec<f32>, Vec<u32>) {
    let node = &arch.nodes[i];
    let layer = &node.layer;
    let prev = arch.value_shape(shapes, node.inputs[0]);
    let x = &values[node.inputs[0]];
    let param = |suffix: &str| {
        let name = match layer {
            Layer::Conv2d { name, .. } | Layer::Linear { name, .. } | Layer::Affine { name } => {
                name
            }
            _ => unreachable!("a layer without parameters"),
        };
        weights.get(&format!("{name}.{suffix}"))
    };
    let y = match layer {
        Layer::Pad { .. } => reference::pad2d_fwd(&arch.pad_shape(n, prev, layer).unwrap(), x),
        Layer::Conv2d { act, .. } => {
            let s = arch.conv_shape(n, prev, layer).unwrap();
            reference::conv2d_fwd(&s, *act, x, param("weight"), param("bias"))
        }
        Layer::Linear { act, .. } => {
            let s = arch.linear_shape(n, prev, layer).unwrap();
            reference::linear_fwd(&s, *act, x, param("weight"), param("bias"))
        }
        Layer::Pool {
            kind: PoolKind::Max,
            ..
        } => {
            let (y, a) = reference::maxpool2d_fwd(&arch.pool_shape(n, prev, layer).unwrap(), x);
            return (y, a);
        }
        Layer::Pool {
            kind: PoolKind::Avg { count_pad },
            ..
        } => reference::avgpool2d_fwd(&arch.pool_shape(n, prev, layer).unwrap(), *count_pad, x),
        Layer::GlobalAvgPool => {
            reference::avgpool2d_fwd(&arch.pool_shape(n, prev, layer).unwrap(), false, x)
        }
        Layer::Relu => {
            let mut y = x.clone();
            reference::relu_fwd(&mut y);
            y
        }
        Layer::Act(f) => reference::act_fwd(*f, x),
        Layer::Lrn { .. } => reference::lrn_fwd(&arch.lrn_shape(n, prev, layer).unwrap(), x),
        Layer::Dropout { p } => {
            let mut y = x.clone();
            if let Some((seed, step)) = dropout {
                let m = kernels::DropoutMask {
                    p: *p,
                    seed,
                    stream: i as u32,
                };
                reference::dropout(&m, step, &mut y);
            }
            y
        }
        Layer::Reshape(_) => x.clone(),
        Layer::Affine { .. } => {
            let s = channels(x.len(), prev);
            reference::affine_fwd(&s, x, param("scale"), param("shift"))
        }
        Layer::Add => reference::add_fwd(x, &values[node.inputs[1]]),
        Layer::Mul => {
            let m = &values[node.inputs[1]];
            reference::mul_fwd(&mul_broadcast(x.len(), m.len()), x, m)
        }
        Layer::Concat => {
            let total = shapes[i];
            let hw = total[1] * total[2];
            let mut y = vec![0f32; n * total.iter().product::<usize>()];
            let mut at = 0;
            for &v in &node.inputs {
                let c = arch.value_shape(shapes, v)[0];
                reference::copy_cols(&concat_cols(n, c, at, total[0], hw), &values[v], &mut y);
                at += c;
            }
            y
        }
    };
    (y, Vec::new())
}

/// The per-channel broadcast of `len` elements of shape `(c, h, w)` per image.
fn channels(len: usize, [c, h, w]: [usize; 3]) -> kernels::Broadcast {
    kernels::Broadcast {
        n: len,
        inner: h * w,
        b_len: c,
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
    for i in 0..arch.nodes.len() {
        let (y, a) = node_forward(arch, weights, (i, n), &values, &shapes, dropout);
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

/// Adds `part` to the gradient `g` of a value (written by its first reader, summed after).
fn accumulate(g: &mut Option<Vec<f32>>, part: Vec<f32>) {
    match g {
        None => *g = Some(part),
        Some(g) => reference::add_inplace(&part, g),
    }
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
    for i in (0..arch.nodes.len()).rev() {
        let Some(mut dy) = grads[i + 1].take() else {
            continue;
        };
        let node = &arch.nodes[i];
        let layer = &node.layer;
        let prev = arch.value_shape(&shapes, node.inputs[0]);
        let (x, y) = (&values[node.inputs[0]], &values[i + 1]);
        let weight = |name: &str| weights.get(&format!("{name}.weight"));
        let dx = match layer {
            Layer::Pad { .. } => {
                reference::pad2d_bwd(&arch.pad_shape(n, prev, layer).unwrap(), &dy)
            }
            Layer::Conv2d { name, act, .. } => {
                if let Fused::Relu(cap) = act {
                    reference::relu_bwd(*cap, y, &mut dy);
                }
                let s = arch.conv_shape(n, prev, layer).unwrap();
                if params {
                    param_grads.push(reference::bias_bwd(n, s.out_c, s.out_h() * s.out_w(), &dy));
                    param_grads.push(reference::conv2d_bwd_weight(&s, &dy, x));
                }
                reference::conv2d_bwd_input(&s, &dy, weight(name))
            }
            Layer::Linear { name, out_f, act } => {
                if let Fused::Relu(cap) = act {
                    reference::relu_bwd(*cap, y, &mut dy);
                }
                let s = arch.linear_shape(n, prev, layer).unwrap();
                if params {
                    param_grads.push(reference::bias_bwd(n, *out_f, 1, &dy));
                    param_grads.push(reference::linear_bwd_weight(&s, &dy, x));
                }
                reference::linear_bwd_input(&s, &dy, weight(name))
            }
            Layer::Pool {
                kind: PoolKind::Max,
                ..
            } => reference::maxpool2d_bwd(&arch.pool_shape(n, prev, layer).unwrap(), &dy, &args[i]),
            Layer::Pool {
                kind: PoolKind::Avg { count_pad },
                ..
            } => {
                reference::avgpool2d_bwd(&arch.pool_shape(n, prev, layer).unwrap(), *count_pad, &dy)
            }
            Layer::GlobalAvgPool => {
                reference::avgpool2d_bwd(&arch.pool_shape(n, prev, layer).unwrap(), false, &dy)
            }
            Layer::Relu => {
                reference::relu_bwd(f32::INFINITY, y, &mut dy);
                dy
            }
            Layer::Act(f) => reference::act_bwd(*f, x, &dy),
            Layer::Lrn { .. } => {
                reference::lrn_bwd(&arch.lrn_shape(n, prev, layer).unwrap(), x, &dy)
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
                dy
            }
            Layer::Reshape(_) => dy,
            Layer::Affine { name } => {
                let scale = weights.get(&format!("{name}.scale"));
                reference::mul_fwd(&channels(x.len(), prev), &dy, scale)
            }
            Layer::Add => {
                accumulate(&mut grads[node.inputs[1]], dy.clone());
                dy
            }
            Layer::Mul => {
                let m = &values[node.inputs[1]];
                let s = mul_broadcast(x.len(), m.len());
                let dm = if s.inner == 1 {
                    reference::mul_fwd(&s, &dy, x)
                } else {
                    reference::mul_bwd_b(&s, &dy, x)
                };
                let dx = reference::mul_fwd(&s, &dy, m);
                accumulate(&mut grads[node.inputs[0]], dx);
                accumulate(&mut grads[node.inputs[1]], dm);
                continue;
            }
            Layer::Concat => {
                let total = shapes[i];
                let hw = total[1] * total[2];
                let mut at = 0;
                for &v in &node.inputs {
                    let c = arch.value_shape(&shapes, v)[0];
                    let cols = concat_cols(n, c, at, total[0], hw);
                    let back = kernels::Cols {
                        src_stride: cols.dst_stride,
                        src_col: cols.dst_col,
                        dst_stride: cols.src_stride,
                        dst_col: 0,
                        ..cols
                    };
                    let mut part = vec![0f32; n * c * hw];
                    reference::copy_cols(&back, &dy, &mut part);
                    accumulate(&mut grads[v], part);
                    at += c;
                }
                continue;
            }
        };
        accumulate(&mut grads[node.inputs[0]], dx);
    }
    param_grads.reverse(); // weight, bias of the first layer first
    Ok((param_grads, grads[0].take().unwrap_or_default()))
}
