//! MAP-Elites with the direct encoding (PAPER.md sections 2 and 3), grey or colour, with
//! everything that grows with the genome on the device: the archive's genomes, the children,
//! the rendered images and the activations. Per generation the host sends the children's
//! parent cells (`batch` u32) and, when asked, reads back the cells' confidences.

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
    /// an extra "fooling" class is evolved against on the classes it had (PAPER.md section 7).
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
            rate: self.rate_at(generation),
            eta: self.eta,
            cross_prob,
            eta_c,
        }
    }

    /// The mutation rate at `generation` (1-based; 0 is the random initial batch).
    pub fn rate_at(&self, generation: u32) -> f32 {
        match self.schedule {
            Schedule::Constant => self.rate,
            Schedule::Paper => {
                self.rate * 0.5f32.powi(((generation.saturating_sub(1)) / 1000) as i32)
            }
        }
    }
}

/// Random-number streams of the counter-based RNG (see `evo::rng`).
const STREAM_INIT: u32 = 3;
const STREAM_MATE: u32 = 7;
/// The "generation" of the initial random genomes in the RNG's counter.
const INIT_GENERATION: u32 = u32::MAX;

/// A mutation dispatch with the sizes `(children, genes, cells)` and offsets of its blocks.
type MutateBlock = (Dispatch, (usize, usize, usize), Offsets);

/// A direct-encoding MAP-Elites run on one device.
pub struct DirectSearch<'g> {
    gpu: &'g Gpu,
    pub config: DirectConfig,
    pub net: Network,
    pub imaging: Imaging,
    /// Genes per genome (grey: the network's input pixels; colour: 3 × size × size).
    pub genes: usize,
    pub classes: usize,
    /// `(classes, genes)`: each cell's elite.
    archive: Genomes,
    /// The cells' confidences and the selection of winners.
    cells: ClassArchive,
    children: Genomes,
    parent: GpuBuffer<u32>,
    mate: GpuBuffer<u32>,
    /// one per (children block, archive block), with its sizes and offsets
    mutate: Vec<MutateBlock>,
    fitness: Fitness,
    /// one per (archive block, children block)
    copy: Vec<Dispatch>,
    /// Generations done; 0 after the initial batch.
    pub generation: u32,
    /// Children evaluated so far, the initial batch included.
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
        let classes = super::check(&net, &imaging, config.batch, &config.cells, "direct")?;
        if !(0.0..=1.0).contains(&config.rate) {
            return Err(Error::Setting {
                key: "rate",
                message: format!("{} is not a probability", config.rate),
            });
        }
        let (genes, b) = (imaging.genes(&net.arch), config.batch);
        let archive = Genomes::zeros(gpu, "archive", classes, genes)?;
        if config.crossover == Crossover::Sbx && archive.bufs.len() > 1 {
            return Err(Error::Setting {
                key: "crossover",
                message: format!(
                    "sbx needs the archive in one buffer; on this device its {classes} genomes \
                     of {genes} genes take {} (binding limit {} bytes)",
                    archive.bufs.len(),
                    gpu.max_binding()
                ),
            });
        }
        let children = Genomes::zeros(gpu, "children", b, genes)?;
        for (first, n, buf) in children.blocks() {
            let init: Vec<f32> = (first * genes..(first + n) * genes)
                .map(|i| {
                    uniform01(
                        config.seed,
                        INIT_GENERATION,
                        (i / genes) as u32,
                        (i % genes) as u32,
                        STREAM_INIT,
                    )
                })
                .collect();
            buf.write(gpu, 0, &init);
        }
        let parent = GpuBuffer::<u32>::zeros(gpu, "parents", b)?;
        let mate = GpuBuffer::<u32>::zeros(gpu, "mates", b)?;
        let fitness = Fitness::new(gpu, &net, &imaging, &children)?;
        let cell_archive = ClassArchive::new(gpu, classes, b, fitness.probs.view())?;
        let (mutate, copy) = block_dispatches(
            gpu,
            &config,
            genes,
            (&archive, &children),
            (&parent, &mate),
            cell_archive.winners(),
        )?;
        let mut s = DirectSearch {
            gpu,
            config,
            net,
            imaging,
            genes,
            classes,
            archive,
            cells: cell_archive,
            children,
            parent,
            mate,
            mutate,
            fitness,
            copy,
            generation: 0,
            evaluations: 0,
        };
        s.submit(false);
        s.evaluations = b as u64;
        Ok(s)
    }

    /// Records mutation (when `mutate`), render, forward, select and copy, and submits.
    fn submit(&self, mutate: bool) {
        self.gpu.submit("generation", |pass| {
            if mutate {
                for (d, _, _) in &self.mutate {
                    d.record(pass);
                }
            }
            self.fitness.record(pass);
            self.cells.record_select(pass);
            for d in &self.copy {
                d.record(pass);
            }
        });
    }

    /// The parent cell of each child of `generation`: uniform over the cells.
    pub fn parents(&self, generation: u32) -> Vec<u32> {
        parent_cells(
            self.config.seed,
            generation,
            self.config.batch,
            self.classes,
            STREAM_PARENT,
        )
    }

    /// Runs `n` generations (submitted, not waited for).
    pub fn step(&mut self, n: u32) {
        for _ in 0..n {
            let g = self.generation + 1;
            self.parent.write(self.gpu, 0, &self.parents(g));
            if self.config.crossover == Crossover::Sbx {
                let mates = parent_cells(
                    self.config.seed,
                    g,
                    self.config.batch,
                    self.classes,
                    STREAM_MATE,
                );
                self.mate.write(self.gpu, 0, &mates);
            }
            let m = self.config.mutation(g);
            for (d, sizes, at) in &self.mutate {
                kernels::set_mutation(self.gpu, d, *sizes, *at, &m);
            }
            self.submit(true);
            self.generation = g;
            self.evaluations += self.config.batch as u64;
        }
    }

    /// The cells' confidences (waits for the device): the only per-generation readback.
    pub fn confidences(&self) -> Result<Vec<f32>> {
        self.fitness.check_finite(self.gpu, &self.net)?;
        self.cells.confidences(self.gpu)
    }

    /// The cells' genomes `(classes, genes)`, for saving (waits for the device).
    pub fn archive(&self) -> Result<Vec<f32>> {
        self.archive.read(self.gpu)
    }

    /// The children of the last generation `(batch, genes)` (waits for the device).
    pub fn children(&self) -> Result<Vec<f32>> {
        self.children.read(self.gpu)
    }

    /// Continues from a checkpoint: the archive `(classes, genes)`, the cells' confidences,
    /// and the counters. The run then goes on exactly as the uninterrupted one would, since
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
            self.classes * self.genes,
        )?;
        self.cells.restore(self.gpu, conf)?;
        self.archive.write(self.gpu, archive)?;
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
    config: &DirectConfig,
    genes: usize,
    (archive, children): (&Genomes, &Genomes),
    (parent, mate): (&GpuBuffer<u32>, &GpuBuffer<u32>),
    winners: crate::gpu::View<'_>,
) -> Result<(Vec<MutateBlock>, Vec<Dispatch>)> {
    let mut mutate = Vec::new();
    let mut copy = Vec::new();
    for (child, n, kids) in children.blocks() {
        for (cell, cells, elites) in archive.blocks() {
            let at = Offsets { cell, child };
            let d = kernels::poly_mutate(
                gpu,
                genes,
                &config.mutation(1),
                at,
                elites.view(),
                parent.view(),
                mate.view(),
                kids.view(),
            )?;
            mutate.push((d, (n, genes, cells), at));
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
