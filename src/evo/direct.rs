//! MAP-Elites with the direct encoding (docs/paper.md §2 and §3), grey or colour, with
//! everything that grows with the genome on the device: the archive's genomes, the children,
//! the rendered images and the activations. The device keeps the generation (a clock it
//! advances) and draws the parents, so the host sends nothing per generation and reads back
//! only the cells' confidences, when asked. One search may hold a batch of independent runs.

use super::archive::{grey_pixels, parent_cells, ClassArchive, STREAM_PARENT};
use super::genomes::{color_pictures, Fitness, Genomes, Imaging};
use super::rng::uniform01;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels::{self, Mutation, Offsets};
use crate::nn::Network;

/// How the mutation rate changes over generations.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The paper's: 0.1, halved every 1,000 generations.
    Paper,
    /// The authors' code: a constant rate.
    Constant,
}

/// Recombination of two parents before mutation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Crossover {
    /// The paper's: mutation only.
    None,
    /// The authors' code: simulated binary crossover (probability 0.5, η_c = 10) with a
    /// second parent drawn uniformly over the cells, without the code's reset of equal genes.
    Sbx,
}

/// Settings of a direct-encoding run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectConfig {
    /// Children per generation (the paper's B).
    pub batch: usize,
    pub seed: u32,
    /// The initial per-gene mutation probability.
    pub rate: f32,
    pub schedule: Schedule,
    /// Polynomial mutation's distribution index η.
    pub eta: f32,
    pub crossover: Crossover,
    /// Cells for only the first N classes [default: every class]: a network retrained with
    /// an extra "fooling" class is evolved against on the classes it had (docs/paper.md §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<usize>,
}

impl Default for DirectConfig {
    fn default() -> Self {
        DirectConfig {
            batch: 200,
            seed: 0,
            rate: 0.1,
            schedule: Schedule::Paper,
            eta: 15.0,
            crossover: Crossover::None,
            cells: None,
        }
    }
}

impl DirectConfig {
    /// The variation of `generation`'s children.
    pub fn mutation(&self, generation: u32) -> Mutation {
        let (cross_prob, eta_c) = match self.crossover {
            Crossover::None => (0.0, 10.0),
            Crossover::Sbx => (0.5, 10.0),
        };
        Mutation {
            seed: self.seed,
            generation,
            rate: self.rate,
            halve_every: match self.schedule {
                Schedule::Constant => 0,
                Schedule::Paper => 1000,
            },
            eta: self.eta,
            cross_prob,
            eta_c,
        }
    }

    /// The mutation rate at `generation` (1-based; 0 is the random initial batch).
    pub fn rate_at(&self, generation: u32) -> f32 {
        self.mutation(generation).rate_at()
    }
}

/// Random-number streams of the counter-based RNG (see `evo::rng`).
const STREAM_INIT: u32 = 3;
const STREAM_MATE: u32 = 7;
/// The "generation" of the initial random genomes in the RNG's counter.
const INIT_GENERATION: u32 = u32::MAX;
/// Generations recorded in one command buffer: enough that submits cost nothing beside the
/// work, few enough that a buffer stays small and a device's watchdog never sees a long one.
pub const GENERATIONS_PER_SUBMIT: u32 = 50;

/// A direct-encoding MAP-Elites run on one device, or a batch of independent runs (seeds
/// `seed`, `seed + 1`, …) that each evolve exactly as they would alone.
pub struct DirectSearch<'g> {
    gpu: &'g Gpu,
    pub config: DirectConfig,
    pub net: Network,
    pub imaging: Imaging,
    /// Genes per genome (grey: the network's input pixels; colour: 3 × size × size).
    pub genes: usize,
    /// Cells per run.
    pub classes: usize,
    /// Independent runs in the batch (run r: seed `config.seed + r`, cells r · classes ..,
    /// children r · batch ..).
    pub runs: usize,
    /// `(runs · classes, genes)`: each cell's elite.
    archive: Genomes,
    /// The cells' confidences and the selection of winners.
    cells: ClassArchive,
    children: Genomes,
    /// `(1)` u32: the generation, advanced on the device (`clock_step`), so that a submit
    /// records many generations and the host uploads nothing per generation.
    clock: GpuBuffer<u32>,
    _parent: GpuBuffer<u32>,
    _mate: GpuBuffer<u32>,
    /// The clock's step, then the parents' (and mates') draw, every generation.
    advance: Vec<Dispatch>,
    /// one per (children block, archive block)
    mutate: Vec<Dispatch>,
    fitness: Fitness,
    /// one per (archive block, children block)
    copy: Vec<Dispatch>,
    /// Generations done; 0 after the initial batch.
    pub generation: u32,
    /// Children evaluated so far by each run, the initial batch included.
    pub evaluations: u64,
}

impl<'g> DirectSearch<'g> {
    /// Builds a run on a grey network (one gene per input pixel) and evaluates the initial
    /// batch of random genomes (generation 0), which fills every cell.
    pub fn new(gpu: &'g Gpu, net: Network, config: DirectConfig) -> Result<DirectSearch<'g>> {
        Self::with_imaging(gpu, net, config, Imaging::Grey)
    }

    /// As [`DirectSearch::new`], with genomes that become images as `imaging` says (colour
    /// genomes for ImageNet networks).
    pub fn with_imaging(
        gpu: &'g Gpu,
        net: Network,
        config: DirectConfig,
        imaging: Imaging,
    ) -> Result<DirectSearch<'g>> {
        Self::batch_of_runs(gpu, net, config, imaging, 1)
    }

    /// `runs` independent runs in one device batch: run r has seed `config.seed + r` and
    /// otherwise `config`, and evolves exactly as the run alone does (the same draws, so the
    /// same elites bit for bit), its parents drawn from its own cells.
    pub fn batch_of_runs(
        gpu: &'g Gpu,
        net: Network,
        config: DirectConfig,
        imaging: Imaging,
        runs: usize,
    ) -> Result<DirectSearch<'g>> {
        let classes = super::check(&net, &imaging, config.batch, &config.cells, "direct")?;
        let (b, all) = children_of(&config, runs)?;
        let genes = imaging.genes(&net.arch);
        let archive = Genomes::zeros(gpu, "archive", runs * classes, genes)?;
        if config.crossover == Crossover::Sbx && archive.bufs.len() > 1 {
            return Err(Error::Setting {
                value: None,
                key: "crossover",
                message: format!(
                    "sbx needs the archive in one buffer; on this device its {classes} genomes \
                     of {genes} genes take {} (binding limit {} bytes)",
                    archive.bufs.len(),
                    gpu.max_binding()
                ),
            });
        }
        let children = first_children(gpu, &config, (all, b), genes)?;
        let parent = GpuBuffer::<u32>::zeros(gpu, "parents", all)?;
        let mate = GpuBuffer::<u32>::zeros(gpu, "mates", all)?;
        let clock = GpuBuffer::<u32>::zeros(gpu, "generation", 1)?;
        let advance = advance(gpu, &config, (runs, classes), &clock, (&parent, &mate))?;
        let fitness = Fitness::new(gpu, &net, &imaging, &children)?;
        let cell_archive = ClassArchive::of_runs(gpu, (runs, classes), b, fitness.probs.view())?;
        let (mutate, copy) = block_dispatches(
            gpu,
            (&config, runs),
            genes,
            (&archive, &children),
            (&parent, &mate, &clock),
            cell_archive.winners(),
        )?;
        let mut s = DirectSearch {
            gpu,
            config,
            net,
            imaging,
            genes,
            classes,
            runs,
            archive,
            cells: cell_archive,
            children,
            clock,
            _parent: parent,
            _mate: mate,
            advance,
            mutate,
            fitness,
            copy,
            generation: 0,
            evaluations: 0,
        };
        s.submit(0);
        s.evaluations = b as u64;
        Ok(s)
    }

    /// Records `generations` generations (none: the initial batch, evaluated as it is) and
    /// submits them at once: each advances the clock, draws its parents, mutates, renders,
    /// classifies, selects and copies, all on the device.
    fn submit(&self, generations: u32) {
        self.gpu.submit("generations", |pass| {
            for _ in 0..generations {
                for d in self.advance.iter().chain(&self.mutate) {
                    d.record(pass);
                }
                self.record_evaluation(pass);
            }
            if generations == 0 {
                self.record_evaluation(pass);
            }
        });
    }

    /// Render, forward, select and copy of the current children.
    fn record_evaluation(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.fitness.record(pass);
        self.cells.record_select(pass);
        for d in &self.copy {
            d.record(pass);
        }
    }

    /// The parent cell of each child of run 0's `generation`: uniform over its cells (what
    /// the device draws, `parents_draw`).
    pub fn parents(&self, generation: u32) -> Vec<u32> {
        parent_cells(
            self.config.seed,
            generation,
            self.config.batch,
            self.classes,
            STREAM_PARENT,
        )
    }

    /// Runs `n` generations (submitted, not waited for), up to [`GENERATIONS_PER_SUBMIT`] in
    /// each submit; the host uploads nothing.
    pub fn step(&mut self, n: u32) {
        let mut left = n;
        while left > 0 {
            let k = left.min(GENERATIONS_PER_SUBMIT);
            self.submit(k);
            left -= k;
        }
        self.generation += n;
        self.evaluations += n as u64 * self.config.batch as u64;
    }

    /// Runs up to `n` generations as [`DirectSearch::step`] does, but a generation of more
    /// than one wave is submitted a wave at a time and abandoned when `stop` is requested
    /// (its draws depend only on (seed, generation), so a resumed run redoes it exactly);
    /// returns the generations completed.
    pub fn step_until(&mut self, n: u32, stop: &crate::signal::Stop) -> Result<u32> {
        if self.fitness.waves() <= 1 {
            self.step(n);
            return Ok(n);
        }
        for done in 0..n {
            if stop.requested() {
                return Ok(done);
            }
            self.gpu.submit("mutation", |pass| {
                for d in self.advance.iter().chain(&self.mutate) {
                    d.record(pass);
                }
            });
            if !self.fitness.run_waves(self.gpu, stop)? {
                // the device's generation counter goes back to the last whole generation
                self.clock.write(self.gpu, 0, &[self.generation]);
                return Ok(done);
            }
            self.gpu.submit("selection", |pass| {
                self.cells.record_select(pass);
                for d in &self.copy {
                    d.record(pass);
                }
            });
            self.generation += 1;
            self.evaluations += self.config.batch as u64;
        }
        Ok(n)
    }

    /// The cells' confidences `(runs · classes)`, run by run (waits for the device): the only
    /// per-generation readback.
    pub fn confidences(&self) -> Result<Vec<f32>> {
        self.fitness.check_finite(self.gpu, &self.net)?;
        self.cells.confidences(self.gpu)
    }

    /// The cells' genomes `(runs · classes, genes)`, for saving (waits for the device).
    pub fn archive(&self) -> Result<Vec<f32>> {
        self.archive.read(self.gpu)
    }

    /// The children of the last generation `(runs · batch, genes)` (waits for the device).
    pub fn children(&self) -> Result<Vec<f32>> {
        self.children.read(self.gpu)
    }

    /// Continues from a checkpoint: the archive `(runs · classes, genes)`, the cells'
    /// confidences, and the counters (each run's evaluations). The run then goes on exactly as the uninterrupted one would, since
    /// every random draw depends only on (seed, generation, child, gene).
    pub fn restore(
        &mut self,
        generation: u32,
        evaluations: u64,
        archive: &[f32],
        conf: &[f32],
    ) -> Result<()> {
        crate::kernels::check_len(
            "restore",
            "archive",
            archive.len(),
            self.runs * self.classes * self.genes,
        )?;
        self.cells.restore(self.gpu, conf)?;
        self.archive.write(self.gpu, archive)?;
        self.clock.write(self.gpu, 0, &[generation]);
        self.generation = generation;
        self.evaluations = evaluations;
        Ok(())
    }

    /// The 8-bit pixels of each cell's elite as the network saw them before any crop: grey,
    /// or RGB interleaved for colour genomes.
    pub fn archive_pixels(&self) -> Result<Vec<u8>> {
        match &self.imaging {
            Imaging::Grey => Ok(grey_pixels(&self.archive()?)),
            Imaging::Color { render, .. } => {
                color_pictures(self.gpu, render.model, render.size, &self.archive)
            }
        }
    }
}

/// Mutation and copy dispatches per (children block, archive block): one archive block's
/// elites mutated into one children block, and one children block's winners copied into
/// one archive block.
fn block_dispatches(
    gpu: &Gpu,
    (config, runs): (&DirectConfig, usize),
    genes: usize,
    (archive, children): (&Genomes, &Genomes),
    (parent, mate, clock): (&GpuBuffer<u32>, &GpuBuffer<u32>, &GpuBuffer<u32>),
    winners: crate::gpu::View<'_>,
) -> Result<(Vec<Dispatch>, Vec<Dispatch>)> {
    let mut mutate = Vec::new();
    let mut copy = Vec::new();
    for (child, _, kids) in children.blocks() {
        for (cell, _, elites) in archive.blocks() {
            let at = Offsets { cell, child };
            mutate.push(kernels::poly_mutate(
                gpu,
                genes,
                &config.mutation(1),
                at,
                runs,
                elites.view(),
                parent.view(),
                mate.view(),
                clock.view(),
                kids.view(),
            )?);
            copy.push(kernels::elite_copy(
                gpu,
                genes,
                at,
                kids.view(),
                winners,
                elites.view(),
            )?);
        }
    }
    Ok((mutate, copy))
}

/// Children a run of `config` makes a generation, and those of `runs` runs: each run's seeds
/// and the batch's children must fit 32 bits, and the mutation rate be a probability.
fn children_of(config: &DirectConfig, runs: usize) -> Result<(usize, usize)> {
    let too_many = |message: String| Error::Setting {
        value: None,
        key: "runs",
        message,
    };
    if runs == 0 {
        return Err(too_many("must be at least 1".into()));
    }
    if config.seed.checked_add(runs as u32 - 1).is_none() || runs > u32::MAX as usize {
        return Err(too_many(format!(
            "seeds {} .. {} + {runs} − 1 do not fit 32 bits",
            config.seed, config.seed
        )));
    }
    let (b, all) = match config.batch.checked_mul(runs) {
        Some(all) if all <= u32::MAX as usize => (config.batch, all),
        _ => {
            return Err(too_many(format!(
                "{runs} runs of {} children exceed the limit of 2^32 children in a batch",
                config.batch
            )))
        }
    };
    if !(0.0..=1.0).contains(&config.rate) {
        return Err(Error::Setting {
            value: None,
            key: "rate",
            message: format!("{} is not a probability", config.rate),
        });
    }
    Ok((b, all))
}

/// The first generation's children of every run: genes drawn uniformly from each run's seed,
/// `all` children, `b` a run.
fn first_children(
    gpu: &Gpu,
    config: &DirectConfig,
    (all, b): (usize, usize),
    genes: usize,
) -> Result<Genomes> {
    let children = Genomes::zeros(gpu, "children", all, genes)?;
    for (first, n, buf) in children.blocks() {
        let init: Vec<f32> = (first * genes..(first + n) * genes)
            .map(|i| {
                let (child, gene) = (i / genes, (i % genes) as u32);
                let (run, own) = ((child / b) as u32, (child % b) as u32);
                uniform01(config.seed + run, INIT_GENERATION, own, gene, STREAM_INIT)
            })
            .collect();
        buf.write(gpu, 0, &init);
    }
    Ok(children)
}

/// What starts each generation on the device: the clock's step, then every child's parent
/// (and its mate, for SBX) drawn from its run's cells.
fn advance(
    gpu: &Gpu,
    config: &DirectConfig,
    (runs, classes): (usize, usize),
    clock: &GpuBuffer<u32>,
    (parent, mate): (&GpuBuffer<u32>, &GpuBuffer<u32>),
) -> Result<Vec<Dispatch>> {
    let mut advance = vec![
        kernels::clock_step(gpu, clock.view(), 1)?,
        kernels::parents_draw(
            gpu,
            (config.seed, STREAM_PARENT),
            (runs, classes),
            clock.view(),
            parent.view(),
        )?,
    ];
    if config.crossover == Crossover::Sbx {
        advance.push(kernels::parents_draw(
            gpu,
            (config.seed, STREAM_MATE),
            (runs, classes),
            clock.view(),
            mate.view(),
        )?);
    }
    Ok(advance)
}
