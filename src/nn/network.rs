//! A network on the device and its forward plans.

use super::arch::{Arch, Layer};
use super::weights::Weights;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::{self, LinearShape};

/// An architecture with its parameters uploaded to one device.
pub struct Network {
    pub arch: Arch,
    /// The parameter tensors, in the order of [`Arch::params`].
    pub(crate) params: Vec<GpuBuffer<f32>>,
}

impl Network {
    /// Uploads `weights` (checked against `arch` when they were loaded).
    pub fn new(gpu: &Gpu, arch: Arch, weights: &Weights) -> Result<Network> {
        let params = arch
            .params()?
            .iter()
            .map(|spec| GpuBuffer::from_slice(gpu, &spec.name, weights.get(&spec.name)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Network { arch, params })
    }

    /// Copies the parameters back from the device.
    pub fn weights(&self, gpu: &Gpu) -> Result<Weights> {
        let mut tensors = std::collections::BTreeMap::new();
        for (spec, buf) in self.arch.params()?.into_iter().zip(&self.params) {
            let data = buf.read(gpu)?;
            tensors.insert(
                spec.name,
                super::weights::Tensor {
                    shape: spec.shape,
                    data,
                },
            );
        }
        Ok(Weights { tensors })
    }

    /// The largest number of images one pass of the layers can take on `gpu`: every
    /// activation of the chunk must fit one storage binding.
    pub fn max_chunk(&self, gpu: &Gpu) -> Result<usize> {
        let per_image = self
            .arch
            .shapes()?
            .iter()
            .map(|s| s.iter().product::<usize>())
            .max()
            .unwrap_or(0)
            .max(self.arch.input_len()) as u64
            * 4;
        let chunk = gpu.max_binding() / per_image;
        if chunk == 0 {
            return Err(Error::LimitExceeded {
                what: format!("one image's largest activation in {}", self.arch.name),
                limit_name: "max_storage_buffer_binding_size",
                requested: per_image,
                limit: gpu.max_binding(),
            });
        }
        Ok(chunk as usize)
    }

    /// Buffers, bind groups and dispatches for a forward pass over `batch` images, built
    /// once and replayed by [`Forward::record`] or [`Forward::run`]. Batches larger than
    /// [`Network::max_chunk`] run as several chunks inside the same command encoder.
    pub fn forward_plan(&self, gpu: &Gpu, batch: usize) -> Result<Forward> {
        self.forward_plan_chunked(gpu, batch, self.max_chunk(gpu)?)
    }

    /// As [`Network::forward_plan`], with at most `max` images per pass of the layers
    /// (clamped to [`Network::max_chunk`]).
    pub fn forward_plan_chunked(&self, gpu: &Gpu, batch: usize, max: usize) -> Result<Forward> {
        self.build_plan(gpu, batch, max, None)
    }

    /// A forward pass for training: as [`Network::forward_plan`], with every dropout layer
    /// dropping elements (masks from `seed`, the layer's index and the step held in `step`,
    /// which the trainer rewrites each iteration). One chunk: `batch` images at most
    /// [`Network::max_chunk`].
    pub(crate) fn train_plan(
        &self,
        gpu: &Gpu,
        batch: usize,
        seed: u32,
        step: View<'_>,
    ) -> Result<Forward> {
        self.build_plan(gpu, batch, self.max_chunk(gpu)?, Some((seed, step)))
    }

    /// Images per pass of the layers for a batch of `batch` with at most `max` per pass:
    /// the whole batch when it fits, else a multiple of 64 (so every bound slice stays
    /// 256-byte aligned).
    fn chunk_of(&self, gpu: &Gpu, batch: usize, max: usize) -> Result<usize> {
        if batch == 0 {
            return Err(Error::Option {
                option: "batch".into(),
                message: "must be at least 1".into(),
            });
        }
        let max = max.min(self.max_chunk(gpu)?).max(1);
        // chunks start at multiples of 64 images, so every bound slice stays 256-byte aligned
        let chunk = if batch <= max {
            batch
        } else {
            (max / 64 * 64).max(64).min(max)
        };
        if chunk < batch && max < 64 {
            return Err(Error::LimitExceeded {
                what: format!(
                    "a batch of {batch} for {} (chunks of 64 images)",
                    self.arch.name
                ),
                limit_name: "max_storage_buffer_binding_size",
                requested: 64,
                limit: max as u64,
            });
        }
        Ok(chunk)
    }

    /// One chunk's activation buffer per layer (none for the last, which writes the logits,
    /// nor for in-place layers) and arg-max buffer per max-pool.
    #[allow(clippy::type_complexity)]
    fn activations(
        &self,
        gpu: &Gpu,
        chunk: usize,
        shapes: &[[usize; 3]],
    ) -> Result<(Vec<Option<GpuBuffer<f32>>>, Vec<Option<GpuBuffer<u32>>>)> {
        let mut acts = Vec::new();
        let mut args = Vec::new();
        let last = self.arch.layers.len() - 1;
        for (i, (layer, s)) in self.arch.layers.iter().zip(shapes).enumerate() {
            let n = chunk * s.iter().product::<usize>();
            acts.push(match layer {
                _ if i == last => None, // the last layer writes the logits
                Layer::Relu | Layer::Dropout { .. } => None, // in place / the identity
                _ => Some(GpuBuffer::zeros(gpu, "activation", n)?),
            });
            args.push(match layer {
                Layer::MaxPool2d { .. } => Some(GpuBuffer::<u32>::zeros(gpu, "argmax", n)?),
                _ => None,
            });
        }

        Ok((acts, args))
    }

    /// Per layer, for a fully-connected layer whose weights exceed one binding: its row
    /// blocks and a scratch buffer for one block's outputs.
    fn split_linears(
        &self,
        gpu: &Gpu,
        chunk: usize,
        shapes: &[[usize; 3]],
    ) -> Result<Vec<Option<SplitLinear>>> {
        let mut pieces = Vec::new();
        let mut prev = self.arch.input;
        for (layer, shape) in self.arch.layers.iter().zip(shapes) {
            pieces.push(match self.arch.linear_shape(chunk, prev, layer) {
                Some(s) => {
                    let blocks = kernels::linear_pieces(gpu, &s)?;
                    if blocks.len() > 1 {
                        let scratch = GpuBuffer::zeros(gpu, "fc block", chunk * blocks[0].1)?;
                        Some((blocks, scratch))
                    } else {
                        None
                    }
                }
                None => None,
            });
            prev = *shape;
        }

        Ok(pieces)
    }

    fn build_plan(
        &self,
        gpu: &Gpu,
        batch: usize,
        max: usize,
        train: Option<(u32, View<'_>)>,
    ) -> Result<Forward> {
        let chunk = self.chunk_of(gpu, batch, max)?;
        let shapes = self.arch.shapes()?;
        let classes = self.arch.num_classes();
        let in_len = self.arch.input_len();
        let input = GpuBuffer::zeros(gpu, "input", batch * in_len)?;
        let logits = GpuBuffer::zeros(gpu, "logits", batch * classes)?;
        let probs = GpuBuffer::zeros(gpu, "probs", batch * classes)?;
        let (acts, args) = self.activations(gpu, chunk, &shapes)?;
        let pieces = self.split_linears(gpu, chunk, &shapes)?;

        let mut plan = Forward {
            batch,
            chunk,
            classes,
            input,
            logits,
            probs,
            acts,
            args,
            _pieces: pieces,
            io: self.io(),
            dispatches: Vec::new(),
            spans: Vec::new(),
        };
        self.record(gpu, &mut plan, &shapes, train)?;
        Ok(plan)
    }

    /// Records `plan`'s dispatches: every layer, then the softmax, for each chunk; `spans`
    /// holds each layer's dispatches of the first chunk.
    fn record(
        &self,
        gpu: &Gpu,
        plan: &mut Forward,
        shapes: &[[usize; 3]],
        train: Option<(u32, View<'_>)>,
    ) -> Result<()> {
        let Forward {
            batch,
            chunk,
            classes,
            input,
            logits,
            probs,
            acts,
            args,
            _pieces: pieces,
            dispatches,
            spans,
            ..
        } = plan;
        let (batch, chunk, classes) = (*batch, *chunk, *classes);
        let in_len = self.arch.input_len();
        let last = self.arch.layers.len() - 1;
        let mut start = 0;
        while start < batch {
            let b = chunk.min(batch - start);
            let mut prev = self.arch.input;
            // index of the buffer holding the current activation: None = the input slice
            let mut cur: Option<usize> = None;
            let mut p = 0;
            for (i, (layer, shape)) in self.arch.layers.iter().zip(shapes).enumerate() {
                let first_dispatch = dispatches.len();
                let x = match cur {
                    None => input.slice(start * in_len, b * in_len),
                    Some(j) => acts[j]
                        .as_ref()
                        .unwrap()
                        .slice(0, b * prev.iter().product::<usize>()),
                };
                let out_len = b * shape.iter().product::<usize>();
                let y = if i == last {
                    logits.slice(start * classes, b * classes)
                } else {
                    acts[i].as_ref().map(|a| a.slice(0, out_len)).unwrap_or(x)
                };
                self.layer_dispatches(
                    gpu,
                    Step {
                        i,
                        last: i == last,
                        b,
                        prev,
                        out_len,
                    },
                    (x, y),
                    &mut p,
                    (&pieces[i], &args[i]),
                    train,
                    dispatches,
                )?;
                if !matches!(layer, Layer::Relu | Layer::Dropout { .. }) {
                    cur = Some(i);
                }
                if start == 0 {
                    spans.push((first_dispatch, dispatches.len()));
                }
                prev = *shape;
            }
            let first_dispatch = dispatches.len();
            dispatches.push(kernels::softmax_fwd(
                gpu,
                b,
                classes,
                logits.slice(start * classes, b * classes),
                probs.slice(start * classes, b * classes),
            )?);
            if start == 0 {
                spans.push((first_dispatch, dispatches.len()));
            }
            start += b;
        }
        Ok(())
    }

    /// Where each layer reads its input and writes its output (the same for every chunk).
    fn io(&self) -> Vec<(Src, Src)> {
        let last = self.arch.layers.len() - 1;
        let mut cur: Option<usize> = None;
        let mut io = Vec::new();
        for (i, layer) in self.arch.layers.iter().enumerate() {
            let src_x = cur.map_or(Src::Input, Src::Act);
            let src_y = match layer {
                _ if i == last => Src::Logits,
                Layer::Relu | Layer::Dropout { .. } => src_x,
                _ => Src::Act(i),
            };
            io.push((src_x, src_y));
            if !matches!(layer, Layer::Relu | Layer::Dropout { .. }) {
                cur = Some(i);
            }
        }
        io
    }

    /// Records layer `at.i`'s dispatches for one chunk of `at.b` images from `x` into `y`;
    /// `p` indexes the layer's parameters in `self.params` and moves past them.
    #[allow(clippy::too_many_arguments)]
    fn layer_dispatches(
        &self,
        gpu: &Gpu,
        at: Step,
        (x, y): (View<'_>, View<'_>),
        p: &mut usize,
        (pieces, args): (&Option<SplitLinear>, &Option<GpuBuffer<u32>>),
        train: Option<(u32, View<'_>)>,
        dispatches: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let Step {
            i,
            last,
            b,
            prev,
            out_len,
        } = at;
        let layer = &self.arch.layers[i];
        match layer {
            Layer::Conv2d { relu, .. } => {
                let s = self.arch.conv_shape(b, prev, layer).unwrap();
                dispatches.push(kernels::conv2d_fwd(
                    gpu,
                    &s,
                    *relu,
                    x,
                    self.params[*p].view(),
                    self.params[*p + 1].view(),
                    y,
                )?);
                *p += 2;
            }
            Layer::Linear { relu, .. } => {
                let s = self.arch.linear_shape(b, prev, layer).unwrap();
                let (w, bias) = (&self.params[*p], &self.params[*p + 1]);
                linear(gpu, &s, *relu, (x, y), (w, bias), pieces, dispatches)?;
                *p += 2;
            }
            Layer::MaxPool2d { .. } => {
                let s = self.arch.pool_shape(b, prev, layer).unwrap();
                let arg = args.as_ref().unwrap().slice(0, out_len);
                dispatches.push(kernels::maxpool2d_fwd(gpu, &s, x, y, arg)?);
            }
            Layer::Lrn { .. } => {
                let s = self.arch.lrn_shape(b, prev, layer).unwrap();
                dispatches.push(kernels::lrn_fwd(gpu, &s, x, y)?);
            }
            Layer::Relu | Layer::Dropout { .. } => {
                if last {
                    return Err(Error::Option {
                        option: "architecture".into(),
                        message: "the last layer must write the logits (not a ReLU or dropout)"
                            .into(),
                    });
                }
                match (layer, train) {
                    (Layer::Relu, _) => dispatches.push(kernels::relu_fwd(gpu, x)?),
                    (Layer::Dropout { p }, Some((seed, step))) => {
                        let m = kernels::DropoutMask {
                            p: *p,
                            seed,
                            stream: i as u32,
                        };
                        dispatches.push(kernels::dropout(gpu, &m, step, x)?);
                    }
                    _ => {} // dropout at inference: the identity
                }
            }
        }
        Ok(())
    }

    /// Class probabilities of `images` (`(n, c, h, w)` f32, the network's input values),
    /// as `n` rows of `classes`. Logits that overflowed are an error naming the network
    /// and the image, not a meaningless row.
    pub fn classify(&self, gpu: &Gpu, images: &[f32]) -> Result<Vec<Vec<f32>>> {
        let n = images.len() / self.arch.input_len();
        let plan = self.forward_plan(gpu, n)?;
        plan.run(gpu, images)?;
        let (logits, probs) = plan.logits.read_with(&plan.probs, gpu)?;
        if let Some(i) = logits.iter().position(|v| !v.is_finite()) {
            return Err(Error::Gpu {
                context: format!("network {}", self.arch.name),
                message: format!(
                    "image {}'s logits are not finite ({}): the network's activations overflowed (check its weights)",
                    i / self.arch.num_classes(),
                    logits[i]
                ),
            });
        }
        Ok(probs
            .chunks(self.arch.num_classes())
            .map(|r| r.to_vec())
            .collect())
    }

    /// As [`Network::classify`] for images of `crops` consecutive crops each: one row per
    /// image, the mean of its crops' rows (summed in order in f32, as the `crop_mean` kernel
    /// does, so evolution's confidences reproduce).
    pub fn classify_crops(&self, gpu: &Gpu, images: &[f32], crops: usize) -> Result<Vec<Vec<f32>>> {
        let rows = self.classify(gpu, images)?;
        Ok(rows
            .chunks(crops.max(1))
            .map(|group| {
                (0..group[0].len())
                    .map(|k| group.iter().fold(0f32, |s, r| s + r[k]) / group.len() as f32)
                    .collect()
            })
            .collect())
    }
}

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
    acts: Vec<Option<GpuBuffer<f32>>>,
    args: Vec<Option<GpuBuffer<u32>>>,
    /// Row blocks and scratch of the fully-connected layers split across bindings.
    _pieces: Vec<Option<SplitLinear>>,
    /// Where each layer reads its input and writes its output, in the first chunk.
    io: Vec<(Src, Src)>,
    dispatches: Vec<Dispatch>,
    /// The first chunk's dispatches of each layer, then the softmax's: `[start, end)` into
    /// `dispatches`.
    spans: Vec<(usize, usize)>,
}

/// A fully-connected layer run in row blocks: `(first row, rows)` of each block, and the
/// scratch buffer one block's outputs go through.
type SplitLinear = (Vec<(usize, usize)>, GpuBuffer<f32>);

/// A fully-connected layer's forward dispatches from `x` into `y`; weights past one binding
/// (`pieces`) run as blocks of output features, each computed into the scratch buffer and
/// copied into its columns.
fn linear(
    gpu: &Gpu,
    s: &LinearShape,
    relu: bool,
    (x, y): (View<'_>, View<'_>),
    (w, bias): (&GpuBuffer<f32>, &GpuBuffer<f32>),
    pieces: &Option<SplitLinear>,
    dispatches: &mut Vec<Dispatch>,
) -> Result<()> {
    let (s, b) = (*s, s.batch);
    match pieces {
        None => dispatches.push(kernels::linear_fwd(
            gpu,
            &s,
            relu,
            x,
            w.view(),
            bias.view(),
            y,
        )?),
        // weights past one binding: blocks of output features, each
        // computed into the scratch buffer and copied into its columns
        Some((blocks, scratch)) => {
            for &(first, rows) in blocks {
                let part = LinearShape { out_f: rows, ..s };
                let out = scratch.slice(0, b * rows);
                dispatches.push(kernels::linear_fwd(
                    gpu,
                    &part,
                    relu,
                    x,
                    w.slice(first * s.in_f, rows * s.in_f),
                    bias.slice(first, rows),
                    out,
                )?);
                let cols = kernels::Cols {
                    rows: b,
                    width: rows,
                    src_stride: rows,
                    src_col: 0,
                    dst_stride: s.out_f,
                    dst_col: first,
                };
                dispatches.push(kernels::copy_cols(gpu, &cols, out, y)?);
            }
        }
    }
    Ok(())
}

/// Where a forward plan stands when it records one layer for one chunk.
#[derive(Clone, Copy)]
struct Step {
    /// The layer's index, and whether it is the last (which writes the logits).
    i: usize,
    last: bool,
    /// Images in the chunk.
    b: usize,
    /// The layer's input shape `(c, h, w)`.
    prev: [usize; 3],
    /// Elements of the layer's output for the chunk.
    out_len: usize,
}

/// A buffer of a forward plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    Input,
    Act(usize),
    Logits,
}

impl Forward {
    /// The first `len` elements of buffer `src`.
    pub(crate) fn view(&self, src: Src, len: usize) -> View<'_> {
        match src {
            Src::Input => self.input.slice(0, len),
            Src::Logits => self.logits.slice(0, len),
            Src::Act(j) => self.acts[j]
                .as_ref()
                .expect("an activation buffer")
                .slice(0, len),
        }
    }

    /// Layer `i`'s (input, output) buffers in the first chunk.
    pub(crate) fn io(&self, i: usize) -> (Src, Src) {
        self.io[i]
    }

    /// Layer `i`'s arg-max buffer (max-pooling layers).
    pub(crate) fn arg(&self, i: usize, len: usize) -> View<'_> {
        self.args[i]
            .as_ref()
            .expect("a max-pool layer")
            .slice(0, len)
    }

    /// The dispatches of layer `i` in the first chunk (`i` = the number of layers: the
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
