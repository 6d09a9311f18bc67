//! A network on the device and its forward plans.

mod nodes;

use super::layers::SplitLinear;
pub(crate) use nodes::Fwd;

use super::arch::{Arch, Layer, Pool, PoolKind};
use super::bounds::Bounds;
use super::forward::{Forward, Src};
use super::weights::Weights;
use crate::error::{Error, Result};
use crate::gpu::{Gpu, GpuBuffer, View};
use crate::kernels;

/// An architecture with its parameters uploaded to one device.
pub struct Network {
    pub arch: Arch,
    /// The parameter tensors, in the order of [`Arch::params`].
    pub(crate) params: Vec<GpuBuffer<f32>>,
    /// Which nodes cannot overflow, proved from the weights uploaded; `None` once the
    /// weights may change on the device (a trainer holds the network), when every node is
    /// checked.
    pub(crate) bounds: Option<Bounds>,
}

impl Network {
    /// Uploads `weights` (checked against `arch` when they were loaded).
    pub fn new(gpu: &Gpu, arch: Arch, weights: &Weights) -> Result<Network> {
        arch.check_classes()
            .map_err(|message| Error::invalid(format!("network {}", arch.name), message))?;
        let params = arch
            .params()?
            .iter()
            .map(|spec| GpuBuffer::from_slice(gpu, &spec.name, weights.get(&spec.name)))
            .collect::<Result<Vec<_>>>()?;
        let bounds = Some(Bounds::prove(&arch, weights));
        Ok(Network {
            arch,
            params,
            bounds,
        })
    }

    /// For each node, whether its outputs were proved unable to overflow (for inputs within
    /// the bound the proof covers), so that forward passes do not check them; `None` while
    /// the weights may change (a trainer holds the network) and every node is checked.
    pub fn proved_finite(&self) -> Option<&[bool]> {
        self.bounds.as_ref().map(|b| b.safe.as_slice())
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
            return Err(Error::invalid("batch", "must be at least 1"));
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

    /// Where each value of the graph lives: the input, the logits, or an activation buffer
    /// (`Src::Act(k)`: the k-th). A pass-through node (flatten, dropout) shares its input's
    /// buffer, and so does a ReLU whose input nothing else reads (it works in place).
    /// Returns the stores and the element count per image of each activation buffer.
    fn stores(&self, shapes: &[[usize; 3]]) -> Result<(Vec<Src>, Vec<usize>)> {
        let arch = &self.arch;
        let consumers = arch.consumers();
        let last = arch.nodes.len() - 1;
        let mut store = vec![Src::Input];
        let mut sizes = Vec::new();
        for (i, node) in arch.nodes.iter().enumerate() {
            let input = node.inputs[0];
            let owns_input = input > 0
                && consumers[input].len() == 1
                && !arch.nodes[input - 1].layer.is_passthrough();
            // a ReLU on the logits writes them, not its input's buffer
            let shared = node.layer.is_passthrough()
                || (matches!(node.layer, Layer::Relu) && owns_input && i != last);
            if i == last {
                if shared {
                    return Err(Error::invalid(
                        "architecture",
                        format!(
                            "{}: the last layer must write the logits (not a {})",
                            arch.name,
                            node.layer.kind()
                        ),
                    ));
                }
                store.push(Src::Logits);
            } else if shared {
                store.push(store[input]);
            } else {
                sizes.push(shapes[i].iter().product());
                store.push(Src::Act(sizes.len() - 1));
            }
        }
        Ok((store, sizes))
    }

    /// Per node, for a fully-connected layer whose weights exceed one binding: its row
    /// blocks and a scratch buffer for one block's outputs.
    fn split_linears(
        &self,
        gpu: &Gpu,
        chunk: usize,
        shapes: &[[usize; 3]],
    ) -> Result<Vec<Option<SplitLinear>>> {
        let arch = &self.arch;
        arch.nodes
            .iter()
            .map(|node| {
                let prev = arch.value_shape(shapes, node.inputs[0]);
                let Layer::Linear(linear) = &node.layer else {
                    return Ok(None);
                };
                let s = linear.shape_at(chunk, prev);
                let blocks = kernels::linear_pieces(gpu, &s)?;
                if blocks.len() == 1 {
                    return Ok(None);
                }
                let scratch = GpuBuffer::zeros(gpu, "fc block", chunk * blocks[0].1)?;
                Ok(Some((blocks, scratch)))
            })
            .collect()
    }

    fn build_plan(
        &self,
        gpu: &Gpu,
        batch: usize,
        max: usize,
        train: Option<(u32, View<'_>)>,
    ) -> Result<Forward> {
        if train.is_some() && !self.arch.is_chain() {
            return Err(Error::setting(
                "net",
                format!(
                    "{} is a graph with branches; training takes a chain of layers",
                    self.arch.name
                ),
            ));
        }
        let chunk = self.chunk_of(gpu, batch, max)?;
        let shapes = self.arch.shapes()?;
        let classes = self.arch.num_classes();
        let in_len = self.arch.input_len();
        let (store, sizes) = self.stores(&shapes)?;
        let pieces = self.split_linears(gpu, chunk, &shapes)?;
        let acts = sizes
            .iter()
            .map(|n| GpuBuffer::zeros(gpu, "activation", chunk * n))
            .collect::<Result<Vec<_>>>()?;
        let args = self
            .arch
            .nodes
            .iter()
            .zip(&shapes)
            .map(|(node, s)| match node.layer {
                Layer::Pool(Pool {
                    kind: PoolKind::Max,
                    ..
                }) => GpuBuffer::<u32>::zeros(gpu, "argmax", chunk * s.iter().product::<usize>())
                    .map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        let mut plan = Forward {
            batch,
            chunk,
            classes,
            input: GpuBuffer::zeros(gpu, "input", batch * in_len)?,
            logits: GpuBuffer::zeros(gpu, "logits", batch * classes)?,
            probs: GpuBuffer::zeros(gpu, "probs", batch * classes)?,
            acts,
            store,
            input_shape: self.arch.input,
            shapes,
            args,
            // a slot per node, then the input's
            overflow: GpuBuffer::zeros(gpu, "overflow flags", self.arch.nodes.len() + 1)?,
            _pieces: pieces,
            dispatches: Vec::new(),
            spans: Vec::new(),
        };
        let mut start = 0;
        while start < batch {
            let b = chunk.min(batch - start);
            self.record(gpu, &mut plan, start, b, train)?;
            start += b;
        }
        Ok(plan)
    }

    /// Records one chunk of `b` images from image `start`: every node, then the softmax;
    /// for the first chunk, `spans` holds each node's dispatches.
    fn record(
        &self,
        gpu: &Gpu,
        plan: &mut Forward,
        start: usize,
        b: usize,
        train: Option<(u32, View<'_>)>,
    ) -> Result<()> {
        let mut dispatches = Vec::new();
        let nodes = self.arch.nodes.len();
        let first_param = self.arch.first_params();
        // an overflow would hide (ReLU and max-pooling drop the NaN it makes), so a forward
        // pass checks the outputs of every node not proved free of one, and the input
        // against the bound the proof assumed
        let checked = |i: usize| match &self.bounds {
            Some(b) => !b.safe[i],
            None => true,
        };
        if let (None, Some(bounds)) = (train, &self.bounds) {
            let x = plan.value(0, start, b);
            dispatches.push(kernels::finite_check(
                gpu,
                x,
                plan.overflow.view(),
                nodes,
                bounds.input,
            )?);
        }
        for (i, &param) in first_param.iter().enumerate() {
            let first = dispatches.len();
            self.node_dispatches(gpu, plan, (i, param), (start, b), train, &mut dispatches)?;
            if train.is_none() && !self.arch.nodes[i].layer.is_passthrough() && checked(i) {
                let y = plan.value(i + 1, start, b);
                dispatches.push(kernels::finite_check(
                    gpu,
                    y,
                    plan.overflow.view(),
                    i,
                    f32::MAX,
                )?);
            }
            if start == 0 {
                plan.spans.push((
                    plan.dispatches.len() + first,
                    plan.dispatches.len() + dispatches.len(),
                ));
            }
        }
        let classes = plan.classes;
        let first = dispatches.len();
        dispatches.push(kernels::softmax_fwd(
            gpu,
            b,
            classes,
            plan.logits.slice(start * classes, b * classes),
            plan.probs.slice(start * classes, b * classes),
        )?);
        if start == 0 {
            plan.spans.push((
                plan.dispatches.len() + first,
                plan.dispatches.len() + dispatches.len(),
            ));
        }
        plan.dispatches.append(&mut dispatches);
        Ok(())
    }

    /// Class probabilities of `images` (`(n, c, h, w)` f32, the network's input values),
    /// as `n` rows of `classes`. Logits that overflowed are an error naming the network
    /// and the image, not a meaningless row.
    pub fn classify(&self, gpu: &Gpu, images: &[f32]) -> Result<Vec<Vec<f32>>> {
        let len = self.arch.input_len();
        let max = self.max_chunk(gpu)?;
        if images.len() / len > max && max < 64 {
            // a plan splits a batch into chunks of 64 images; a network of which fewer fit
            // one binding (a MobileNetV2 at 160×160 on 128 MiB) runs a plan per `max` images
            // (one plan for every full group, built once; the last group's own)
            let full = self.forward_plan(gpu, max)?;
            let mut out = Vec::with_capacity(images.len() / len);
            for (k, group) in images.chunks(max * len).enumerate() {
                let rows = match group.len() / len {
                    n if n == max => self.classify_batch(gpu, &full, group, k * max)?,
                    n => self.classify_batch(gpu, &self.forward_plan(gpu, n)?, group, k * max)?,
                };
                out.extend(rows);
            }
            return Ok(out);
        }
        let plan = self.forward_plan(gpu, images.len() / len)?;
        self.classify_batch(gpu, &plan, images, 0)
    }

    /// [`Network::classify`] of images that `plan` takes whole; `first` numbers them in
    /// errors.
    fn classify_batch(
        &self,
        gpu: &Gpu,
        plan: &Forward,
        images: &[f32],
        first: usize,
    ) -> Result<Vec<Vec<f32>>> {
        plan.run(gpu, images)?;
        self.check_finite(gpu, plan)?;
        let (logits, probs) = plan.logits.read_with(&plan.probs, gpu)?;
        if let Some(i) = logits.iter().position(|v| !v.is_finite()) {
            return Err(Error::Gpu {
                context: format!("network {}", self.arch.name),
                message: format!(
                    "image {}'s logits are not finite ({}): the network's activations overflowed (check its weights)",
                    first + i / self.arch.num_classes(),
                    logits[i]
                ),
            });
        }
        Ok(probs
            .chunks(self.arch.num_classes())
            .map(|r| r.to_vec())
            .collect())
    }

    /// Refuses what `plan` computed when a node's output held an infinite or NaN value since
    /// the plan was built: the network overflowed, and its probabilities (which a later ReLU
    /// or max-pool may have made look finite) mean nothing. Waits for the device.
    pub fn check_finite(&self, gpu: &Gpu, plan: &Forward) -> Result<()> {
        let flags = plan.overflow.read(gpu)?;
        match flags.iter().position(|&f| f != 0) {
            None => Ok(()),
            Some(i) if i == self.arch.nodes.len() => Err(Error::Gpu {
                context: format!("network {}", self.arch.name),
                message: format!(
                    "an input value is not finite or is beyond ±{:e}, the range its overflow check covers (1024 times the pixels' range)",
                    self.bounds.as_ref().map_or(f32::MAX, |b| b.input)
                ),
            }),
            Some(i) => Err(Error::Gpu {
                context: format!("network {}", self.arch.name),
                message: format!(
                    "node {i} ({})'s outputs are not finite: the network's activations overflowed (check its weights)",
                    self.arch.layer_label(i)
                ),
            }),
        }
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
