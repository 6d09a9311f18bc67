//! MAP-Elites with the CPPN encoding (docs/paper.md §2 and §4), grey or colour. The
//! archive's genomes live on the host, where they are mutated (they are a few kilobytes);
//! the device renders the whole batch (one dispatch per binding-sized block), classifies it
//! and finds each class's winner. Per generation the compiled programs go up and the cells'
//! winners and confidences come down.
//!
//! **Overlap.** While the device evaluates generation g, the host breeds generation g + 1
//! from the archive as it stands; once g's winners are known, it breeds again only the
//! children whose parent cell g changed. A child depends only on its parent's genome and its
//! own random stream, so the run is the one the sequential loop makes, child for child.

use super::archive::{grey_pixels, insert_winners, parent_cells, ClassArchive, STREAM_PARENT};
use super::cppn::{Capacity, Cppn, CppnMutation};
use super::genomes::{color_pictures, Fitness, Genomes, Imaging};
use super::rng::hash;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels;
use crate::nn::Network;

/// Settings of a CPPN run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CppnConfig {
    /// Children per generation (the paper's B).
    pub batch: usize,
    pub seed: u32,
    pub mutation: CppnMutation,
    pub capacity: Capacity,
    /// Cells for only the first N classes [default: every class] (see `DirectConfig::cells`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<usize>,
}

impl Default for CppnConfig {
    fn default() -> Self {
        CppnConfig {
            batch: 200,
            seed: 0,
            mutation: CppnMutation::default(),
            capacity: Capacity::default(),
            cells: None,
        }
    }
}

const INIT_GENERATION: u32 = u32::MAX;

/// The host RNG of child `b` of `generation`: a pure function of the run's seed, so a
/// resumed run mutates exactly as an uninterrupted one.
pub fn child_rng(seed: u32, generation: u32, b: u32) -> crate::host_rng::HostRng {
    let s = ((hash(seed ^ hash(generation)) as u64) << 32)
        | hash(b ^ hash(seed.wrapping_add(0x9e37_79b9))) as u64;
    crate::host_rng::host_rng(s)
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
    pub imaging: Imaging,
    programs: GpuBuffer<u32>,
    _genes: Genomes,
    /// one per block of genes
    render: Vec<Dispatch>,
    fitness: Fitness,
    /// The cells' confidences and the selection of winners.
    cells: ClassArchive,
    children: Vec<Cppn>,
    /// Generation `.0`'s children, bred while the device evaluated the generation before
    /// from the archive as it then stood, with their parent cells.
    next: Option<(u32, Vec<Cppn>, Vec<u32>)>,
    /// Breed the next generation while the device works (true; false: the sequential loop,
    /// for comparison).
    pub overlap: bool,
    pub generation: u32,
    pub evaluations: u64,
    /// outputs per pixel, and the picture's width and height
    outputs: usize,
    size: (usize, usize),
}

impl<'g> CppnSearch<'g> {
    /// Builds a run on a grey network and evaluates the initial batch (generation 0), which
    /// fills every cell.
    pub fn new(gpu: &'g Gpu, net: Network, config: CppnConfig) -> Result<CppnSearch<'g>> {
        Self::with_imaging(gpu, net, config, Imaging::Grey)
    }

    /// As [`CppnSearch::new`], with CPPNs of three outputs rendered at the colour genome's
    /// size when `imaging` is colour.
    pub fn with_imaging(
        gpu: &'g Gpu,
        net: Network,
        config: CppnConfig,
        imaging: Imaging,
    ) -> Result<CppnSearch<'g>> {
        let classes = super::check(&net, &imaging, config.batch, &config.cells, "CPPN")?;
        let (b, cap) = (config.batch, config.capacity);
        let (w, h, outputs) = imaging.picture(&net.arch);
        let programs = GpuBuffer::<u32>::zeros(gpu, "programs", b * cap.stride())?;
        let genes = Genomes::zeros(gpu, "cppn genes", b, outputs * w * h)?;
        let render = genes
            .blocks()
            .map(|(first, _, buf)| {
                kernels::render_cppn(
                    gpu,
                    cap,
                    outputs,
                    (w, h),
                    programs.view(),
                    first,
                    buf.view(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let fitness = Fitness::new(gpu, &net, &imaging, &genes)?;
        let cells = ClassArchive::new(gpu, classes, b, fitness.probs.view())?;
        let children: Vec<Cppn> = (0..b as u32)
            .map(|i| Cppn::random(outputs, &mut child_rng(config.seed, INIT_GENERATION, i)))
            .collect();
        let mut s = CppnSearch {
            gpu,
            config,
            net,
            classes,
            archive: Vec::new(),
            conf_host: Vec::new(),
            imaging,
            programs,
            _genes: genes,
            render,
            fitness,
            cells,
            children,
            next: None,
            overlap: true,
            generation: 0,
            evaluations: 0,
            outputs,
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
        self.submit_children();
        self.collect().map(|_| ())
    }

    /// Sends `self.children` to the device and records their evaluation (not waited for).
    fn submit_children(&mut self) {
        let cap = self.config.capacity;
        let programs: Vec<u32> = self.children.iter().flat_map(|c| c.compile(cap)).collect();
        self.programs.write(self.gpu, 0, &programs);
        self.gpu.submit("cppn generation", |pass| {
            for d in &self.render {
                d.record(pass);
            }
            self.fitness.record(pass);
            self.cells.record_select(pass);
        });
    }

    /// Waits for the submitted children's evaluation and inserts the winners; returns the
    /// winners (`u32::MAX`: the cell kept its elite).
    fn collect(&mut self) -> Result<Vec<u32>> {
        let (winners, conf) = self.cells.winners_and_confidences(self.gpu)?;
        self.fitness.check_finite(self.gpu, &self.net)?;
        self.conf_host = conf;
        if !insert_winners(&mut self.archive, &self.children, &winners) {
            return Ok(winners); // reported by the caller
        }
        self.evaluations += self.children.len() as u64;
        Ok(winners)
    }

    /// Child `b` of generation `g`: a mutated copy of cell `parent`'s elite.
    fn breed(&self, g: u32, b: u32, parent: u32) -> Cppn {
        let mut child = self.archive[parent as usize].clone();
        child.mutate(
            &self.config.mutation,
            self.config.capacity,
            &mut child_rng(self.config.seed, g, b),
        );
        child
    }

    /// Generation `g`'s children from the archive as it stands, with their parent cells.
    fn brood(&self, g: u32) -> (Vec<Cppn>, Vec<u32>) {
        let parents = parent_cells(
            self.config.seed,
            g,
            self.config.batch,
            self.classes,
            STREAM_PARENT,
        );
        let children = (0..self.config.batch as u32)
            .zip(&parents)
            .map(|(b, &parent)| self.breed(g, b, parent))
            .collect();
        (children, parents)
    }

    /// Runs `n` generations (waits for the device each generation: the host needs the
    /// winners), breeding each next generation while the device evaluates this one.
    pub fn step(&mut self, n: u32) -> Result<()> {
        for _ in 0..n {
            let g = self.generation + 1;
            self.children = match self.next.take() {
                Some((at, children, _)) if at == g => children,
                _ => self.brood(g).0,
            };
            self.submit_children();
            if self.overlap {
                let after = g.wrapping_add(1);
                let (children, parents) = self.brood(after);
                self.next = Some((after, children, parents));
            }
            let winners = self.collect()?;
            // the children whose parent cell this generation changed are bred again
            if let Some((at, mut children, parents)) = self.next.take() {
                for (b, &parent) in parents.iter().enumerate() {
                    if winners[parent as usize] != u32::MAX {
                        children[b] = self.breed(at, b as u32, parent);
                    }
                }
                self.next = Some((at, children, parents));
            }
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
        if let Some(bad) = archive
            .iter()
            .position(|c| !c.is_valid(self.config.capacity))
        {
            return Err(Error::setting(
                "resume",
                format!("the checkpoint's genome of cell {bad} is not a valid CPPN"),
            ));
        }
        self.cells.restore(self.gpu, conf)?;
        self.archive = archive;
        self.conf_host = conf.to_vec();
        self.next = None;
        self.generation = generation;
        self.evaluations = evaluations;
        Ok(())
    }

    /// The 8-bit pixels of each cell's elite exactly as the device renders them (so saved
    /// PNGs classify at the recorded confidences): grey, or RGB interleaved for colour.
    pub fn archive_pixels(&self) -> Result<Vec<u8>> {
        let cap = self.config.capacity;
        let (w, h) = self.size;
        let programs: Vec<u32> = self.archive.iter().flat_map(|c| c.compile(cap)).collect();
        let pb = GpuBuffer::from_slice(self.gpu, "archive programs", &programs)?;
        let genes = Genomes::zeros(
            self.gpu,
            "archive genes",
            self.classes,
            self.outputs * w * h,
        )?;
        for (first, _, buf) in genes.blocks() {
            let d = kernels::render_cppn(
                self.gpu,
                cap,
                self.outputs,
                (w, h),
                pb.view(),
                first,
                buf.view(),
            )?;
            self.gpu.run(&[&d])?;
        }
        match &self.imaging {
            Imaging::Grey => Ok(grey_pixels(&genes.read(self.gpu)?)),
            Imaging::Color { render, .. } => {
                color_pictures(self.gpu, render.model, render.size, &genes)
            }
        }
    }
}
