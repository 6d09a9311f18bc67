//! Training on the device: minibatch SGD with momentum and weight decay, Caffe's recipe for
//! LeNet by default. The dataset is uploaded once; each iteration uploads only the batch's
//! image indices and the scheduled learning rate, and records gather, forward, loss,
//! backward and update into one command buffer.

use super::backward::backward;
use super::forward::Forward;
use super::network::Network;
use super::weights::Weights;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels;
use rand::seq::SliceRandom;

/// The solver's settings: `fooling train`'s solver options, declared here once (each doc
/// line is its `--help`, each default is here). [`Default`] is Caffe's MNIST LeNet solver
/// (docs/paper.md §5).
#[derive(Clone, Debug, PartialEq, serde::Serialize, clap::Args)]
pub struct TrainConfig {
    /// SGD iterations.
    #[arg(long, default_value_t = 10_000)]
    pub iterations: usize,
    /// Images per iteration.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seeds the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Base learning rate of the `inv` schedule.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub base_lr: f32,
    #[arg(long, default_value_t = 0.9, allow_hyphen_values = true)]
    pub momentum: f32,
    #[arg(long, default_value_t = 5e-4, allow_hyphen_values = true)]
    pub weight_decay: f32,
    /// The `inv` policy: lr = base_lr · (1 + gamma · iteration)^(−power).
    #[arg(skip = 1e-4)]
    pub gamma: f32,
    #[arg(skip = 0.75)]
    pub power: f32,
    /// Caffe's LeNet learns biases at twice the rate (`lr_mult: 2`).
    #[arg(skip = 2.0)]
    pub bias_lr_mult: f32,
    /// Warp each training image at random every time it is drawn: a shift of up to SHIFT
    /// pixels, a rotation of up to DEG degrees and a scaling by up to SCALE (a fraction).
    /// `--augment` alone is 2,10,0.1.
    #[arg(long, value_name = "SHIFT,DEG,SCALE", num_args = 0..=1, default_missing_value = "2,10,0.1", value_parser = kernels::Augment::parse)]
    pub augment: Option<kernels::Augment>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        crate::command_line::defaults(&[])
    }
}

impl TrainConfig {
    /// The learning rate at `iteration` (0-based), Caffe's `inv` policy.
    pub fn lr(&self, iteration: usize) -> f32 {
        (self.base_lr as f64
            * (1.0 + self.gamma as f64 * iteration as f64).powf(-self.power as f64)) as f32
    }
}

/// A network being trained on one device, with its data, gradients and momenta.
pub struct Trainer<'g> {
    gpu: &'g Gpu,
    pub net: Network,
    pub config: TrainConfig,
    plan: Forward,
    _data: GpuBuffer<u32>,
    _labels: GpuBuffer<u32>,
    idx: GpuBuffer<u32>,
    hyper: GpuBuffer<f32>,
    loss: GpuBuffer<f32>,
    _dlogits: GpuBuffer<f32>,
    /// `(1)` u32: the iteration, which seeds the dropout masks with `config.seed`.
    step: GpuBuffer<u32>,
    /// The parameters' gradients, in the order of `Arch::params`.
    grads: Vec<GpuBuffer<f32>>,
    _momenta: Vec<GpuBuffer<f32>>,
    _batch_labels: GpuBuffer<u32>,
    /// The gathered batch before augmentation (when augmenting).
    _raw: Option<GpuBuffer<f32>>,
    /// Gather, then augment: the dispatches that fill the forward pass's input.
    input: Vec<Dispatch>,
    /// The image indices of the last batch.
    pub last_batch: Vec<u32>,
    dispatches: Vec<Dispatch>,
    order: Vec<u32>,
    pos: usize,
    epoch: u64,
    /// Iterations done.
    pub iteration: usize,
}

impl<'g> Trainer<'g> {
    /// Uploads `data` and the initial `weights`, and builds every dispatch of an iteration.
    pub fn new(
        gpu: &'g Gpu,
        mut net: Network,
        data: &Dataset,
        config: TrainConfig,
    ) -> Result<Trainer<'g>> {
        // its weights change on the device from now on: what was proved of them no longer
        // holds, so every forward pass of it checks every node
        net.bounds = None;
        let arch = net.arch.clone();
        check(&arch, data, &config)?;
        let b = config.batch;
        // the iteration, for the dropout layers' masks
        let step = GpuBuffer::<u32>::zeros(gpu, "step", 1)?;
        let seed = config.seed as u32;
        let plan = net.train_plan(gpu, b, seed, step.view())?;
        if plan.chunk < b {
            return Err(Error::setting(
                "batch",
                format!("at most {} images fit one pass on this adapter", plan.chunk),
            ));
        }
        let data_buf = GpuBuffer::from_slice(gpu, "dataset", &kernels::pack_bytes(&data.images))?;
        let labels: Vec<u32> = data.labels.iter().map(|&l| l as u32).collect();
        let labels_buf = GpuBuffer::from_slice(gpu, "labels", &labels)?;
        let idx = GpuBuffer::<u32>::zeros(gpu, "batch indices", b)?;
        let batch_labels = GpuBuffer::<u32>::zeros(gpu, "batch labels", b)?;
        let hyper = GpuBuffer::<f32>::zeros(gpu, "solver", 3)?;
        let loss = GpuBuffer::<f32>::zeros(gpu, "loss", b)?;

        let (raw, input) = batch_input(
            gpu,
            (&arch, &config, &plan),
            (&data_buf, &labels_buf),
            (&idx, &batch_labels, &step),
        )?;
        let (dlogits, dispatches, grads, momenta) = iteration(
            gpu,
            (&net, &config, &plan),
            (&batch_labels, &loss, &hyper, &step),
        )?;

        let order: Vec<u32> = (0..data.len() as u32).collect();
        Ok(Trainer {
            gpu,
            net,
            config,
            plan,
            _data: data_buf,
            _labels: labels_buf,
            idx,
            hyper,
            loss,
            _dlogits: dlogits,
            step,
            grads,
            _momenta: momenta,
            _batch_labels: batch_labels,
            _raw: raw,
            input,
            last_batch: Vec::new(),
            pos: order.len(), // shuffle before the first batch
            order,
            dispatches,
            epoch: 0,
            iteration: 0,
        })
    }

    /// The next batch's image indices: a fresh permutation of the data each epoch, drawn
    /// from the seed and the epoch number.
    fn next_batch(&mut self) -> Vec<u32> {
        let b = self.config.batch;
        if self.pos + b > self.order.len() {
            let mut rng = crate::host_rng::host_rng(
                self.config.seed ^ (self.epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            );
            self.order.shuffle(&mut rng);
            self.epoch += 1;
            self.pos = 0;
        }
        let batch = self.order[self.pos..self.pos + b].to_vec();
        self.pos += b;
        batch
    }

    /// Runs `n` iterations (submitted, not waited for).
    pub fn step(&mut self, n: usize) -> Result<()> {
        for _ in 0..n {
            self.last_batch = self.next_batch();
            self.idx.write(self.gpu, 0, &self.last_batch);
            self.step.write(self.gpu, 0, &[self.iteration as u32]);
            let c = &self.config;
            self.hyper.write(
                self.gpu,
                0,
                &[c.lr(self.iteration), c.momentum, c.weight_decay],
            );
            self.gpu.submit("train", |pass| {
                for d in &self.input {
                    d.record(pass); // gather, augment
                }
                self.plan.record(pass); // forward
                for d in &self.dispatches {
                    d.record(pass); // loss, backward, update
                }
            });
            self.iteration += 1;
        }
        Ok(())
    }

    /// The mean loss of the last iteration's batch (waits for the device).
    pub fn loss(&self) -> Result<f32> {
        let l = self.loss.read(self.gpu)?;
        Ok(l.iter().sum::<f32>() / l.len() as f32)
    }

    /// The last iteration's parameter gradients (of the mean loss, before weight decay), in
    /// the order of `Arch::params`; waits for the device.
    pub fn gradients(&self) -> Result<Vec<Vec<f32>>> {
        self.grads.iter().map(|b| b.read(self.gpu)).collect()
    }

    /// The current weights, copied back from the device.
    pub fn weights(&self) -> Result<Weights> {
        self.net.weights(self.gpu)
    }
}

/// The fraction of `data` that `net` classifies right.
pub fn accuracy(gpu: &Gpu, net: &Network, data: &Dataset) -> Result<f64> {
    let [c, h, w] = net.arch.input;
    if (c, h, w) != (1, data.height, data.width) {
        return Err(Error::setting(
            "data",
            format!(
                "images are {}x{} grey, {} takes {c}x{h}x{w}",
                data.width, data.height, net.arch.name
            ),
        ));
    }
    let mut right = 0usize;
    let step = net.max_chunk(gpu)?.clamp(1, 4096);
    for start in (0..data.len()).step_by(step) {
        let end = (start + step).min(data.len());
        let pixels = data.height * data.width;
        let input = net
            .arch
            .to_input(&data.images[start * pixels..end * pixels]);
        let probs = net.classify(gpu, &input)?;
        right += probs
            .iter()
            .zip(&data.labels[start..end])
            .filter(|(p, &l)| {
                p.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|m| m.0)
                    == Some(l as usize)
            })
            .count();
    }
    Ok(right as f64 / data.len().max(1) as f64)
}

/// Refuses data the network cannot learn: another image size or channel count, labels past
/// its classes, a batch larger than the data.
fn check(arch: &super::Arch, data: &Dataset, config: &TrainConfig) -> Result<()> {
    let [c, h, w] = arch.input;
    if c != 1 || (data.height, data.width) != (h, w) {
        return Err(Error::setting(
            "data",
            format!(
                "images are {}x{} grey, {} takes {}x{} with {} channel(s)",
                data.height, data.width, arch.name, h, w, c
            ),
        ));
    }
    if data.num_classes() > arch.num_classes() {
        return Err(Error::setting(
            "data",
            format!(
                "labels go up to {}, {} has {} classes",
                data.num_classes() - 1,
                arch.name,
                arch.num_classes()
            ),
        ));
    }
    for (key, v, ok) in [
        ("base_lr", config.base_lr, config.base_lr >= 0.0),
        (
            "momentum",
            config.momentum,
            (0.0..1.0).contains(&config.momentum),
        ),
        (
            "weight_decay",
            config.weight_decay,
            config.weight_decay >= 0.0,
        ),
        ("gamma", config.gamma, config.gamma >= 0.0),
        ("power", config.power, config.power >= 0.0),
    ] {
        if !(ok && v.is_finite()) {
            let range = if key == "momentum" {
                "in [0, 1)"
            } else {
                "finite and not negative"
            };
            return Err(Error::Setting {
                value: None,
                key,
                message: format!("{v}: must be {range}"),
            });
        }
    }
    if config.batch == 0 || config.batch > data.len() {
        return Err(Error::Setting {
            value: None,
            key: "batch",
            message: format!("must be between 1 and the {} training images", data.len()),
        });
    }
    Ok(())
}

/// The SGD updates of every parameter tensor (element-wise, so a tensor past one binding is
/// updated in aligned blocks) into `dispatches`; returns the momentum buffers they use.
fn sgd(
    gpu: &Gpu,
    net: &Network,
    config: &TrainConfig,
    grads: &[GpuBuffer<f32>],
    hyper: &GpuBuffer<f32>,
    dispatches: &mut Vec<Dispatch>,
) -> Result<Vec<GpuBuffer<f32>>> {
    let specs = net.arch.params()?;
    let momenta = specs
        .iter()
        .map(|spec| GpuBuffer::<f32>::zeros(gpu, &format!("momentum {}", spec.name), spec.len()))
        .collect::<Result<Vec<_>>>()?;
    for (j, spec) in specs.iter().enumerate() {
        let lr_mult = if spec.shape.len() == 1 {
            config.bias_lr_mult
        } else {
            1.0
        };
        // element-wise, so a tensor past one binding is updated in aligned blocks
        let block = (gpu.max_binding() / 4) as usize / 64 * 64;
        for first in (0..spec.len()).step_by(block.max(64)) {
            let n = block.max(64).min(spec.len() - first);
            dispatches.push(kernels::sgd_update(
                gpu,
                lr_mult,
                1.0,
                grads[j].slice(first, n),
                hyper.view(),
                net.params[j].slice(first, n),
                momenta[j].slice(first, n),
            )?);
        }
    }

    Ok(momenta)
}

/// The dispatches that put a batch into the network's input: its images gathered from the
/// dataset by index (with their labels), straight into the input or, with augmentation, into
/// a buffer of their own (returned) that the warp reads.
fn batch_input(
    gpu: &Gpu,
    (arch, config, plan): (&super::Arch, &TrainConfig, &Forward),
    (data_buf, labels_buf): (&GpuBuffer<u32>, &GpuBuffer<u32>),
    (idx, batch_labels, step): (&GpuBuffer<u32>, &GpuBuffer<u32>, &GpuBuffer<u32>),
) -> Result<(Option<GpuBuffer<f32>>, Vec<Dispatch>)> {
    let (b, pixels, seed) = (
        config.batch,
        arch.input[1] * arch.input[2],
        config.seed as u32,
    );
    let raw = match config.augment {
        Some(_) => Some(GpuBuffer::<f32>::zeros(gpu, "gathered batch", b * pixels)?),
        None => None,
    };
    let mut input = vec![kernels::gather_batch(
        gpu,
        pixels,
        arch.grey_scale()?,
        data_buf.view(),
        labels_buf.view(),
        idx.view(),
        raw.as_ref().map_or(plan.input.view(), |r| r.view()),
        batch_labels.view(),
    )?];
    if let (Some(a), Some(raw)) = (&config.augment, &raw) {
        input.push(kernels::augment(
            gpu,
            a,
            seed,
            arch.input,
            step.view(),
            raw.view(),
            plan.input.view(),
        )?);
    }
    Ok((raw, input))
}

/// What an iteration records after the forward pass: the loss and its gradient, the
/// backward pass, and the SGD step; with the buffers they keep (the logits' gradient, the
/// parameters' gradients and momenta).
#[allow(clippy::type_complexity)]
fn iteration(
    gpu: &Gpu,
    (net, config, plan): (&Network, &TrainConfig, &Forward),
    (batch_labels, loss, hyper, step): (
        &GpuBuffer<u32>,
        &GpuBuffer<f32>,
        &GpuBuffer<f32>,
        &GpuBuffer<u32>,
    ),
) -> Result<(
    GpuBuffer<f32>,
    Vec<Dispatch>,
    Vec<GpuBuffer<f32>>,
    Vec<GpuBuffer<f32>>,
)> {
    let (b, classes, seed) = (config.batch, net.arch.num_classes(), config.seed as u32);
    let mut dispatches = Vec::new();
    // the forward pass is recorded separately (it is the plan's); then loss and backward
    let dlogits = GpuBuffer::zeros(gpu, "dlogits", b * classes)?;
    dispatches.push(kernels::softmax_xent_bwd(
        gpu,
        b,
        classes,
        1.0 / b as f32,
        plan.logits.slice(0, b * classes),
        batch_labels.view(),
        dlogits.view(),
        loss.view(),
    )?);
    let back = backward(
        gpu,
        net,
        plan,
        b,
        dlogits.view(),
        true,
        None,
        Some((seed, step.view())),
    )?;
    dispatches.extend(back.dispatches);
    let grads = back.params;
    let momenta = sgd(gpu, net, config, &grads, hyper, &mut dispatches)?;
    Ok((dlogits, dispatches, grads, momenta))
}
