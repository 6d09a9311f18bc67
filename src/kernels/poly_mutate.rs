//! Launchers of `poly_mutate`, `set_mutation` (shaders/poly_mutate.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct MutateParams for [PolyMutate] {
        pub(super) batch: u32,
        pub(super) genes: u32,
        pub(super) seed: u32,
        pub(super) generation: u32,
        pub(super) rate: f32,
        pub(super) eta: f32,
        pub(super) cross_prob: f32,
        pub(super) eta_c: f32,
        pub(super) first_child: u32,
        pub(super) first_cell: u32,
        pub(super) cells: u32,
        pub(super) _pad: u32,
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

/// The settings of one generation's polynomial mutation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mutation {
    pub seed: u32,
    pub generation: u32,
    /// Probability that a gene mutates.
    pub rate: f32,
    /// Distribution index η (15 in the paper).
    pub eta: f32,
    /// Probability that a child is an SBX offspring of its parent and its mate (0: none).
    pub cross_prob: f32,
    /// SBX's distribution index η_c (10 in the authors' code).
    pub eta_c: f32,
}

/// `children[b, :]` = `parents[parent[b], :]`, crossed with `parents[mate[b], :]` when
/// `m.cross_prob > 0`, then mutated (see shaders/poly_mutate.wgsl); `parents`
/// `(cells, genes)`, `parent` and `mate` `(all children)` u32, `children` `(batch, genes)`.
/// With `at` other than the default, `parents` holds the cells from `at.cell` and `children`
/// the children from `at.child`, and only the children whose parent is in `parents` are written.
#[allow(clippy::too_many_arguments)]
pub fn poly_mutate(
    gpu: &Gpu,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    parents: View<'_>,
    parent: View<'_>,
    mate: View<'_>,
    children: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "poly_mutate";
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
            ("children", children),
        ],
        &mutate_params(batch, genes, m, at, cells),
        grid,
    )?;
    Ok(d)
}

fn mutate_params(
    batch: usize,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    cells: usize,
) -> MutateParams {
    MutateParams {
        first_child: at.child as u32,
        first_cell: at.cell as u32,
        cells: cells as u32,
        _pad: 0,
        batch: batch as u32,
        genes: genes as u32,
        seed: m.seed,
        generation: m.generation,
        rate: m.rate,
        eta: m.eta,
        cross_prob: m.cross_prob,
        eta_c: m.eta_c,
    }
}

/// Points a [`poly_mutate`] dispatch (built for `batch` children of `genes` genes, blocks at
/// `at`, `cells` cells in its archive block) at another generation, rate or seed, for its
/// next replay.
pub fn set_mutation(
    gpu: &Gpu,
    d: &Dispatch,
    (batch, genes, cells): (usize, usize, usize),
    at: Offsets,
    m: &Mutation,
) {
    d.write_uniform(gpu, &mutate_params(batch, genes, m, at, cells));
}
