//! The backward pass on the device: from a gradient with respect to the logits down through
//! every layer of a [`Forward`] plan, to the parameters (training) and to the input
//! (gradient ascent), with the same kernels for both.

use super::arch::Layer;
use super::network::{Forward, Network};
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, LinearShape};

/// The dispatches of one backward pass and the buffers they write.
pub(crate) struct Backward {
    /// The parameters' gradients, in the order of [`super::Arch::params`] (empty unless
    /// asked for).
    pub params: Vec<GpuBuffer<f32>>,
    /// Gradients with respect to the activations.
    _activations: Vec<GpuBuffer<f32>>,
    pub dispatches: Vec<Dispatch>,
}

/// Records the backward pass over the first `batch` images of `plan` (one chunk) from
/// `dlogits` `(batch, classes)`: the parameters' gradients when `params` is set (summed over
/// the batch), and the gradient with respect to the network's input into `dinput` when given.
/// The gradient of each activation is written in place where a ReLU follows it, so
/// `dlogits` is the only input the pass reads besides the forward plan's buffers. With
/// `dropout` (`(seed, step)` of a [`Network::train_plan`]), dropout layers drop the same
/// elements of the gradient as the forward pass did; without, they are the identity.
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
    let (arch, b) = (&net.arch, batch);
    check(net, plan, b, dinput.is_some())?;
    let shapes = arch.shapes()?;
    let (param_grads, first_param) = param_grads(gpu, arch, params)?;
    let len_of = |i: usize| b * shapes[i].iter().product::<usize>();
    let in_shape = |i: usize| if i == 0 { arch.input } else { shapes[i - 1] };

    // gradient with respect to each layer's output: None = dlogits, Some(j) = activations[j]
    let (mut activations, grad_of) = gradients(gpu, arch, b)?;
    let mut dispatches = Vec::new();
    for i in (0..arch.layers.len()).rev() {
        let (src_x, src_y) = plan.io(i);
        let x_len = b * in_shape(i).iter().product::<usize>();
        let x = plan.view(src_x, x_len);
        let y = plan.view(src_y, len_of(i));
        let view_of = |g: Option<usize>, len: usize| match g {
            None => dlogits,
            Some(j) => activations[j].slice(0, len),
        };
        let dy = view_of(grad_of[i], len_of(i));
        let dx = if i > 0 {
            Some(view_of(grad_of[i - 1], x_len))
        } else {
            dinput
        };
        let p = first_param[i];
        let grads = param_grads.get(p).zip(param_grads.get(p + 1));
        let at = (i, b, in_shape(i), len_of(i));
        let scratch = layer_backward(
            gpu,
            (net, plan),
            at,
            (x, y, dy, dx),
            (net.params.get(p), grads),
            dropout,
            &mut dispatches,
        )?;
        activations.extend(scratch);
    }
    Ok(Backward {
        params: param_grads,
        _activations: activations,
        dispatches,
    })
}

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

/// Gradient buffers, and for each layer the index of the one holding its output's gradient.
type Gradients = (Vec<GpuBuffer<f32>>, Vec<Option<usize>>);

/// The buffers of the gradients with respect to the layers' outputs, and which holds each
/// layer's (`None`: the logits' gradient, given). A standalone ReLU works in place and
/// dropout is the identity, so they share their input's buffer.
fn gradients(gpu: &Gpu, arch: &super::Arch, b: usize) -> Result<Gradients> {
    let shapes = arch.shapes()?;
    let mut buffers = Vec::new();
    let mut grad_of: Vec<Option<usize>> = vec![None; arch.layers.len()];
    for i in (1..arch.layers.len()).rev() {
        grad_of[i - 1] = if matches!(arch.layers[i], Layer::Relu | Layer::Dropout { .. }) {
            grad_of[i]
        } else {
            let len = b * shapes[i - 1].iter().product::<usize>();
            buffers.push(GpuBuffer::zeros(gpu, "gradient", len)?);
            Some(buffers.len() - 1)
        };
    }
    Ok((buffers, grad_of))
}

/// Refuses a backward pass the plan cannot take: more than one chunk, or an input gradient
/// through a first layer that works in place.
fn check(net: &Network, plan: &Forward, b: usize, dinput: bool) -> Result<()> {
    let arch = &net.arch;
    if b > plan.chunk {
        return Err(Error::Option {
            option: "batch".into(),
            message: format!(
                "a backward pass takes at most the {} images of one forward chunk on this adapter",
                plan.chunk
            ),
        });
    }
    if dinput
        && matches!(
            arch.layers.first(),
            Some(Layer::Relu | Layer::Dropout { .. })
        )
    {
        return Err(Error::Option {
            option: "architecture".into(),
            message:
                "an input gradient needs a first layer other than a standalone ReLU or dropout"
                    .into(),
        });
    }
    Ok(())
}

/// The parameters' gradient buffers (none unless `params`) and each layer's first parameter.
fn param_grads(
    gpu: &Gpu,
    arch: &super::Arch,
    params: bool,
) -> Result<(Vec<GpuBuffer<f32>>, Vec<usize>)> {
    let specs = arch.params()?;
    let mut param_grads = Vec::new();
    if params {
        for spec in &specs {
            param_grads.push(GpuBuffer::zeros(
                gpu,
                &format!("grad {}", spec.name),
                spec.len(),
            )?);
        }
    }
    // first parameter index of each layer
    let mut first_param = Vec::new();
    let mut p = 0;
    for layer in &arch.layers {
        first_param.push(p);
        if matches!(layer, Layer::Conv2d { .. } | Layer::Linear { .. }) {
            p += 2;
        }
    }
    Ok((param_grads, first_param))
}

/// A convolution's backward dispatches from `dy` to its parameters' gradients `grads`
/// (when given) and to `dx` (when given).
fn conv(
    gpu: &Gpu,
    s: &kernels::Conv2dShape,
    (x, dy, dx): (View<'_>, View<'_>, Option<View<'_>>),
    (w, grads): (&GpuBuffer<f32>, Option<Grads<'_>>),
    dispatches: &mut Vec<Dispatch>,
) -> Result<()> {
    let b = s.batch;
    if let Some((gw, gb)) = grads {
        dispatches.push(kernels::conv2d_bwd_weight(gpu, s, dy, x, gw.view())?);
        dispatches.push(kernels::bias_bwd(
            gpu,
            b,
            s.out_c,
            s.out_h() * s.out_w(),
            dy,
            gb.view(),
        )?);
    }
    if let Some(dx) = dx {
        dispatches.push(kernels::conv2d_bwd_input(gpu, s, dy, w.view(), dx)?);
    }
    Ok(())
}

/// A layer's weight and bias gradients.
type Grads<'a> = (&'a GpuBuffer<f32>, &'a GpuBuffer<f32>);

/// A fully-connected layer's backward dispatches from `dy` to its parameters' gradients
/// `grads` (when given) and to `dx` (when given); weights past one binding run in blocks of
/// output features; returns their scratch buffers, which must live as long as the dispatches.
fn linear(
    gpu: &Gpu,
    s: &LinearShape,
    (x, dy, dx): (View<'_>, View<'_>, Option<View<'_>>),
    (w, grads): (&GpuBuffer<f32>, Option<Grads<'_>>),
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

/// One layer's backward dispatches, from the gradient `dy` of its output to its parameters'
/// gradients and to `dx`; returns the scratch buffers they use.
#[allow(clippy::too_many_arguments)]
fn layer_backward(
    gpu: &Gpu,
    (net, plan): (&Network, &Forward),
    (i, b, input, out_len): (usize, usize, [usize; 3], usize),
    (x, y, dy, dx): (View<'_>, View<'_>, View<'_>, Option<View<'_>>),
    (w, grads): (Option<&GpuBuffer<f32>>, Option<Grads<'_>>),
    dropout: Option<(u32, View<'_>)>,
    dispatches: &mut Vec<Dispatch>,
) -> Result<Vec<GpuBuffer<f32>>> {
    let arch = &net.arch;
    let layer = &arch.layers[i];
    if matches!(
        layer,
        Layer::Conv2d { relu: true, .. } | Layer::Linear { relu: true, .. } | Layer::Relu
    ) {
        dispatches.push(kernels::relu_bwd(gpu, y, dy)?);
    }
    match layer {
        Layer::Conv2d { .. } => {
            let s = arch.conv_shape(b, input, layer).unwrap();
            let w = w.expect("a convolution's weights");
            conv(gpu, &s, (x, dy, dx), (w, grads), dispatches)?;
        }
        Layer::Linear { .. } => {
            let s = arch.linear_shape(b, input, layer).unwrap();
            let w = w.expect("a fully-connected layer's weights");
            return linear(gpu, &s, (x, dy, dx), (w, grads), dispatches);
        }
        Layer::MaxPool2d { .. } => {
            let s = arch.pool_shape(b, input, layer).unwrap();
            if let Some(dx) = dx {
                let arg = plan.arg(i, out_len);
                dispatches.push(kernels::maxpool2d_bwd(gpu, &s, dy, arg, dx)?);
            }
        }
        Layer::Relu => {} // its gradient is the relu_bwd above, in place
        Layer::Lrn { .. } => {
            let s = arch.lrn_shape(b, input, layer).unwrap();
            if let Some(dx) = dx {
                dispatches.push(kernels::lrn_bwd(gpu, &s, x, dy, dx)?);
            }
        }
        Layer::Dropout { p } => {
            if let Some((seed, step)) = dropout {
                let m = kernels::DropoutMask {
                    p: *p,
                    seed,
                    stream: i as u32,
                };
                dispatches.push(kernels::dropout(gpu, &m, step, dy)?);
            }
        }
    }
    Ok(Vec::new())
}
