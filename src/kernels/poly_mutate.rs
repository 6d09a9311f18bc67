//! Launchers of `poly_mutate`, `set_mutation` (shaders/poly_mutate.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct MutateParams for [PolyMutate] {
        pub(super) batch: u32,
        pub(super) genes: u32,
        pub(super) seed: u32,
        pub(super) halve_every: u32,
        pub(super) rate: f32,
        pub(super) eta: f32,
        pub(super) cross_prob: f32,
        pub(super) eta_c: f32,
        pub(super) first_child: u32,
        pub(super) first_cell: u32,
        pub(super) cells: u32,
        pub(super) per_run: u32,
    }
}

/// Where a block of an archive and a block of children start, for the kernels that run once
/// per pair of blocks when genomes exceed one binding (`Offsets::default()`: one block each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offsets {
    /// The first cell of the archive block.
    pub cell: usize,
    /// The first child of the children block.
    pub child: usize,
}

/// The settings of polynomial mutation, and the generation the twin draws for (the kernel
/// reads it from its clock buffer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mutation {
    pub seed: u32,
    pub generation: u32,
    /// Probability that a gene mutates, at generation 1.
    pub rate: f32,
    /// The rate halves every this many generations (the paper's schedule: 1000; 0: never).
    pub halve_every: u32,
    /// Distribution index η (15 in the paper).
    pub eta: f32,
    /// Probability that a child is an SBX offspring of its parent and its mate (0: none).
    pub cross_prob: f32,
    /// SBX's distribution index η_c (10 in the authors' code).
    pub eta_c: f32,
}

impl Mutation {
    /// The rate at `self.generation` (1-based; 0 is the random initial batch): `rate` halved
    /// every `halve_every` generations, exactly (a power of two).
    pub fn rate_at(&self) -> f32 {
        if self.halve_every == 0 {
            return self.rate;
        }
        self.rate * 0.5f32.powi((self.generation.saturating_sub(1) / self.halve_every) as i32)
    }
}

/// `children[b, :]` = `parents[parent[b], :]`, crossed with `parents[mate[b], :]` when
/// `m.cross_prob > 0`, then mutated (see shaders/poly_mutate.wgsl); `parents`
/// `(cells, genes)`, `parent` and `mate` `(all children)` u32, `children` `(batch, genes)`;
/// the generation (its draws and its rate) is `clock[0]`, as the device holds it when the
/// dispatch runs.
/// With `at` other than the default, `parents` holds the cells from `at.cell` and `children`
/// the children from `at.child`, and only the children whose parent is in `parents` are written.
/// With `runs` > 1, `parent` holds `runs` equal runs' children, and run r's draws are those
/// of a run alone with seed `m.seed + r` (the caller checks it fits).
#[allow(clippy::too_many_arguments)]
pub fn poly_mutate(
    gpu: &Gpu,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    runs: usize,
    parents: View<'_>,
    parent: View<'_>,
    mate: View<'_>,
    clock: View<'_>,
    children: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "poly_mutate";
    check_len(K, "clock", clock.len, 1)?;
    let batch = children.len / genes.max(1);
    check_len(K, "children", children.len, batch * genes)?;
    check_len(K, "mate", mate.len, parent.len)?;
    if at.child + batch > parent.len {
        return Err(super::bad_shape(
            K,
            "parent",
            "an entry for every child",
            format!(
                "{} entries for children {}..{}",
                parent.len,
                at.child,
                at.child + batch
            ),
        ));
    }
    check_len(
        K,
        "parents (a multiple of genes)",
        parents.len % genes.max(1),
        0,
    )?;
    if runs == 0 || !parent.len.is_multiple_of(runs) {
        return Err(super::bad_shape(
            K,
            "parent",
            "a whole number of children per run",
            format!("{} children in {runs} runs", parent.len),
        ));
    }
    let cells = parents.len / genes.max(1);
    let grid = grid_for(gpu, K, (batch * genes).div_ceil(256) as u64)?;
    let d = launch(
        gpu,
        K,
        (Shader::PolyMutate, K, &[]),
        &[
            ("parents", parents),
            ("parent", parent),
            ("mate", mate),
            ("clock", clock),
            ("children", children),
        ],
        &mutate_params(batch, genes, m, at, (cells, (parent.len / runs).max(1))),
        grid,
    )?;
    Ok(d)
}

fn mutate_params(
    batch: usize,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    (cells, per_run): (usize, usize),
) -> MutateParams {
    MutateParams {
        first_child: at.child as u32,
        first_cell: at.cell as u32,
        cells: cells as u32,
        per_run: per_run as u32,
        batch: batch as u32,
        genes: genes as u32,
        seed: m.seed,
        halve_every: m.halve_every,
        rate: m.rate,
        eta: m.eta,
        cross_prob: m.cross_prob,
        eta_c: m.eta_c,
    }
}
