//! Launcher of `elite_select` (shaders/elite.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct EliteParams for [Elite] {
        pub(super) batch: u32,
        pub(super) classes: u32,
        pub(super) stride: u32,
        pub(super) runs: u32,
    }
}

/// Per cell, the best child of `probs` `(runs · batch, stride)` replaces the cell when
/// strictly better than `conf` `(runs · classes)`; `winner` `(runs · classes)` u32 names it
/// (its row in the whole batch), or is `u32::MAX`. A cell of run r competes among run r's
/// children (rows r · batch ..), for the class in its column of the first `classes` of each
/// row's `stride ≥ classes` columns.
pub fn elite_select(
    gpu: &Gpu,
    (runs, batch): (usize, usize),
    classes: usize,
    probs: View<'_>,
    conf: View<'_>,
    winner: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_select";
    let rows = runs * batch;
    let stride = probs.len / rows.max(1);
    check_len(K, "probs", probs.len, rows * stride)?;
    if stride < classes {
        return Err(super::bad_shape(
            K,
            "probs",
            "a row of at least one column per cell",
            format!("{stride} columns for {classes} cells"),
        ));
    }
    check_len(K, "conf", conf.len, runs * classes)?;
    check_len(K, "winner", winner.len, runs * classes)?;
    let grid = grid_for(gpu, K, (runs * classes) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Elite, K, &[]),
        &[("probs", probs), ("conf", conf), ("winner", winner)],
        &EliteParams {
            batch: batch as u32,
            classes: classes as u32,
            stride: stride as u32,
            runs: runs as u32,
        },
        grid,
    )
}
