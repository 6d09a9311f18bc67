//! The class archive of MAP-Elites (docs/paper.md §2): one cell per class, each holding an
//! elite and its confidence, and the one insertion rule both encodings share.
//!
//! **Insertion, as a spec.** A generation's batch of `B` children, with the network's
//! probabilities `p[b][c]`, is offered to every cell `c` at once: the child with the highest
//! `p[b][c]` is the cell's candidate (the lowest `b` on ties), and it replaces the elite iff
//! `p[b][c] > conf[c]` strictly. Empty cells hold confidence −1, so the initial batch fills
//! every cell. This equals offering the children one by one in index order, each replacing
//! an elite it beats strictly (`reference::elite_insert`, the rule's plain-Rust twin).
//!
//! **Where it runs.** The device chooses the winners (`elite_select` writes `winner[c]`, the
//! child's index or `u32::MAX`, and the new `conf[c]`). The elites' genomes are then copied
//! by whoever holds them: the direct encoding's on the device (`elite_copy`, reading
//! [`ClassArchive::winners`]), the CPPN encoding's on the host ([`insert_winners`]).
//! Parents are drawn uniformly over the cells by [`parent_cells`], from one stream of the
//! counter hash.

use super::rng::uniform01;
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels;

/// The RNG stream of the parents' cells.
pub const STREAM_PARENT: u32 = 2;

/// The cells' confidences and the winners of the last generation, on the device, with the
/// selection that updates them.
pub struct ClassArchive {
    pub cells: usize,
    /// `(cells)` f32: each cell's confidence, −1 while empty.
    conf: GpuBuffer<f32>,
    /// `(cells)` u32: the child that won each cell in the last generation, or `u32::MAX`.
    winner: GpuBuffer<u32>,
    select: Dispatch,
}

impl ClassArchive {
    /// An empty archive of `cells` cells for batches of `batch` children whose
    /// probabilities are `probs` `(batch, stride ≥ cells)`.
    pub fn new(gpu: &Gpu, cells: usize, batch: usize, probs: View<'_>) -> Result<ClassArchive> {
        ClassArchive::of_runs(gpu, (1, cells), batch, probs)
    }

    /// The archives of `runs` independent runs of `classes` cells each, for batches of
    /// `batch` children per run whose probabilities are `probs` `(runs · batch, stride ≥
    /// classes)`: run r's cells (r · classes ..) compete among run r's children only.
    pub fn of_runs(
        gpu: &Gpu,
        (runs, classes): (usize, usize),
        batch: usize,
        probs: View<'_>,
    ) -> Result<ClassArchive> {
        let cells = runs * classes;
        let conf = GpuBuffer::from_slice(gpu, "cell confidences", &vec![-1.0f32; cells])?;
        let winner = GpuBuffer::<u32>::zeros(gpu, "winners", cells)?;
        let select = kernels::elite_select(
            gpu,
            (runs, batch),
            classes,
            probs,
            conf.view(),
            winner.view(),
        )?;
        Ok(ClassArchive {
            cells,
            conf,
            winner,
            select,
        })
    }

    /// Records the selection of the batch's winners (after the batch's forward pass).
    pub fn record_select(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.select.record(pass);
    }

    /// The winners, for the device copy of the elites.
    pub fn winners(&self) -> View<'_> {
        self.winner.view()
    }

    /// The cells' confidences (waits for the device).
    pub fn confidences(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        self.conf.read(gpu)
    }

    /// The last generation's winners and the cells' confidences (waits for the device).
    pub fn winners_and_confidences(&self, gpu: &Gpu) -> Result<(Vec<u32>, Vec<f32>)> {
        self.winner.read_with(&self.conf, gpu)
    }

    /// Sets the cells' confidences (a resumed run).
    pub fn restore(&self, gpu: &Gpu, conf: &[f32]) -> Result<()> {
        kernels::check_len("restore", "confidences", conf.len(), self.cells)?;
        self.conf.write(gpu, 0, conf);
        Ok(())
    }
}

/// Copies each winning child into its cell, for genomes held on the host: `elites` is
/// filled by the first batch (then every cell must have a winner) and updated after.
/// Returns false when a first batch left a cell empty.
pub fn insert_winners<T: Clone>(elites: &mut Vec<T>, children: &[T], winners: &[u32]) -> bool {
    if elites.is_empty() {
        if winners.iter().any(|&w| w as usize >= children.len()) {
            return false;
        }
        *elites = winners
            .iter()
            .map(|&w| children[w as usize].clone())
            .collect();
    } else {
        for (cell, &w) in winners.iter().enumerate() {
            if let Some(child) = children.get(w as usize) {
                elites[cell] = child.clone();
            }
        }
    }
    true
}

/// The parent cell of each of `batch` children of `generation`: uniform over `cells`, from
/// `stream` of the counter hash (a pure function of the seed, so a resumed run draws the
/// same parents).
pub fn parent_cells(
    seed: u32,
    generation: u32,
    batch: usize,
    cells: usize,
    stream: u32,
) -> Vec<u32> {
    (0..batch as u32)
        .map(|b| {
            ((uniform01(seed, generation, b, 0, stream) * cells as f32) as u32)
                .min(cells as u32 - 1)
        })
        .collect()
}

/// Grey genes in [0, 1] as the 8-bit pixels the network saw: floor(g · 255).
pub fn grey_pixels(genes: &[f32]) -> Vec<u8> {
    genes
        .iter()
        .map(|&g| (g.clamp(0.0, 1.0) * 255.0).floor() as u8)
        .collect()
}
