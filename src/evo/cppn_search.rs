//! MAP-Elites with the CPPN encoding on a grey network (PAPER.md sections 2 and 4). The
//! archive's genomes live on the host, where they are mutated (they are a few kilobytes);
//! the device renders the whole batch in one dispatch, classifies it and finds each class's
//! winner. Per generation the compiled programs go up and the cells' winners and confidences
//! come down.

use super::cppn::{Capacity, Cppn, CppnMutation};
use super::rng::{hash, uniform01};
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels;
use crate::nn::{Forward, Network};
use rand::SeedableRng;

/// Settings of a CPPN run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CppnConfig {
    /// Children per generation (the paper's B).
    pub batch: usize,
    pub seed: u32,
    pub mutation: CppnMutation,
    pub capacity: Capacity,
}

impl Default for CppnConfig {
    fn default() -> Self {
        CppnConfig {
            batch: 200,
            seed: 0,
            mutation: CppnMutation::default(),
            capacity: Capacity::default(),
        }
    }
}

const STREAM_PARENT: u32 = 2;
const INIT_GENERATION: u32 = u32::MAX;

/// The host RNG of child `b` of `generation`: a pure function of the run's seed, so a
/// resumed run mutates exactly as an uninterrupted one.
fn child_rng(seed: u32, generation: u32, b: u32) -> rand::rngs::StdRng {
    let s = ((hash(seed ^ hash(generation)) as u64) << 32)
        | hash(b ^ hash(seed.wrapping_add(0x9e37_79b9))) as u64;
    rand::rngs::StdRng::seed_from_u64(s)
}

/// A CPPN MAP-Elites run on one device.
pub struct CppnSearch<'g> {
    gpu: &'g Gpu,
    pub config: CppnConfig,
    pub net: Network,
    pub classes: usize,
    /// Each cell's elite (every cell is filled by the initial batch).
    pub archive: Vec<Cppn>,
    /// The cells' confidences, as the device last reported them.
    pub conf_host: Vec<f32>,
    plan: Forward,
    programs: GpuBuffer<u32>,
    _genes: GpuBuffer<f32>,
    conf: GpuBuffer<f32>,
    winner: GpuBuffer<u32>,
    render: Dispatch,
    to_input: Dispatch,
    select: Dispatch,
    children: Vec<Cppn>,
    pub generation: u32,
    pub evaluations: u64,
    size: (usize, usize),
}

impl<'g> CppnSearch<'g> {
    /// Builds the run and evaluates the initial batch (generation 0), which fills every cell.
    pub fn new(gpu: &'g Gpu, net: Network, config: CppnConfig) -> Result<CppnSearch<'g>> {
        let [c, h, w] = net.arch.input;
        if c != 1 {
            return Err(Error::Option {
                option: "--encoding".into(),
                message: format!(
                    "the grey CPPN encoding needs a 1-channel network; {} takes {c} channels",
                    net.arch.name
                ),
            });
        }
        if config.batch == 0 {
            return Err(Error::Option {
                option: "--batch".into(),
                message: "must be at least 1".into(),
            });
        }
        let (b, classes, cap) = (config.batch, net.arch.num_classes(), config.capacity);
        let plan = net.forward_plan(gpu, b)?;
        let programs = GpuBuffer::<u32>::zeros(gpu, "programs", b * cap.stride())?;
        let genes = GpuBuffer::<f32>::zeros(gpu, "cppn genes", b * h * w)?;
        let conf = GpuBuffer::from_slice(gpu, "cell confidences", &vec![-1.0f32; classes])?;
        let winner = GpuBuffer::<u32>::zeros(gpu, "winners", classes)?;
        let render = kernels::render_cppn(gpu, cap, 1, (w, h), programs.view(), genes.view())?;
        let to_input =
            kernels::render_grey(gpu, net.arch.grey_scale()?, genes.view(), plan.input.view())?;
        let select = kernels::elite_select(
            gpu,
            b,
            classes,
            plan.probs.view(),
            conf.view(),
            winner.view(),
        )?;
        let children: Vec<Cppn> = (0..b as u32)
            .map(|i| Cppn::random(1, &mut child_rng(config.seed, INIT_GENERATION, i)))
            .collect();
        let mut s = CppnSearch {
            gpu,
            config,
            net,
            classes,
            archive: Vec::new(),
            conf_host: Vec::new(),
            plan,
            programs,
            _genes: genes,
            conf,
            winner,
            render,
            to_input,
            select,
            children,
            generation: 0,
            evaluations: 0,
            size: (w, h),
        };
        s.evaluate()?;
        if s.archive.len() != classes {
            return Err(Error::Gpu {
                context: "the initial CPPN batch".into(),
                message: "did not fill every cell".into(),
            });
        }
        Ok(s)
    }

    /// Renders, classifies and inserts `self.children`; reads back winners and confidences.
    fn evaluate(&mut self) -> Result<()> {
        let cap = self.config.capacity;
        let programs: Vec<u32> = self.children.iter().flat_map(|c| c.compile(cap)).collect();
        self.programs.write(self.gpu, 0, &programs);
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("cppn generation"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("cppn generation"),
                timestamp_writes: None,
            });
            self.render.record(&mut pass);
            self.to_input.record(&mut pass);
            self.plan.record(&mut pass);
            self.select.record(&mut pass);
        }
        self.gpu.queue.submit([encoder.finish()]);
        let (winners, conf) = self.winner.read_with(&self.conf, self.gpu)?;
        self.conf_host = conf;
        if self.archive.is_empty() {
            if winners.iter().any(|&w| w as usize >= self.children.len()) {
                return Ok(()); // reported by the caller
            }
            self.archive = winners
                .iter()
                .map(|&w| self.children[w as usize].clone())
                .collect();
        } else {
            for (cell, &w) in winners.iter().enumerate() {
                if let Some(child) = self.children.get(w as usize) {
                    self.archive[cell] = child.clone();
                }
            }
        }
        self.evaluations += self.children.len() as u64;
        Ok(())
    }

    /// Runs `n` generations (waits for the device each generation: the host needs the winners).
    pub fn step(&mut self, n: u32) -> Result<()> {
        for _ in 0..n {
            let g = self.generation + 1;
            let (seed, classes) = (self.config.seed, self.classes as u32);
            self.children = (0..self.config.batch as u32)
                .map(|b| {
                    let parent = ((uniform01(seed, g, b, 0, STREAM_PARENT) * classes as f32)
                        as u32)
                        .min(classes - 1);
                    let mut child = self.archive[parent as usize].clone();
                    child.mutate(
                        &self.config.mutation,
                        self.config.capacity,
                        &mut child_rng(seed, g, b),
                    );
                    child
                })
                .collect();
            self.evaluate()?;
            self.generation = g;
        }
        Ok(())
    }

    /// Continues from a checkpoint: the cells' genomes and confidences, and the counters.
    pub fn restore(
        &mut self,
        generation: u32,
        evaluations: u64,
        archive: Vec<Cppn>,
        conf: &[f32],
    ) -> Result<()> {
        crate::kernels::check_len("restore", "CPPN cells", archive.len(), self.classes)?;
        crate::kernels::check_len("restore", "confidences", conf.len(), self.classes)?;
        if let Some(bad) = archive
            .iter()
            .position(|c| !c.is_valid(self.config.capacity))
        {
            return Err(Error::Option {
                option: "--resume".into(),
                message: format!("the checkpoint's genome of cell {bad} is not a valid CPPN"),
            });
        }
        self.archive = archive;
        self.conf.write(self.gpu, 0, conf);
        self.conf_host = conf.to_vec();
        self.generation = generation;
        self.evaluations = evaluations;
        Ok(())
    }

    /// The 8-bit pixels of each cell's elite exactly as the device renders them (so saved
    /// PNGs classify at the recorded confidences).
    pub fn archive_pixels(&self) -> Result<Vec<u8>> {
        let cap = self.config.capacity;
        let (w, h) = self.size;
        let programs: Vec<u32> = self.archive.iter().flat_map(|c| c.compile(cap)).collect();
        let pb = GpuBuffer::from_slice(self.gpu, "archive programs", &programs)?;
        let gb = GpuBuffer::<f32>::zeros(self.gpu, "archive genes", self.classes * w * h)?;
        let d = kernels::render_cppn(self.gpu, cap, 1, (w, h), pb.view(), gb.view())?;
        self.gpu.run(&[&d])?;
        Ok(gb
            .read(self.gpu)?
            .iter()
            .map(|&g| (g.clamp(0.0, 1.0) * 255.0).floor() as u8)
            .collect())
    }
}
