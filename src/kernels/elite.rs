//! Launcher of `elite_select` (shaders/elite.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct EliteParams for [Elite] {
        pub(super) batch: u32,
        pub(super) classes: u32,
        pub(super) stride: u32,
        pub(super) _pad: u32,
    }
}

/// Per class, the best child of `probs` `(batch, stride)` replaces the cell when strictly
/// better than `conf` `(classes)`; `winner` `(classes)` u32 names it, or is `u32::MAX`. The
/// cells are the first `classes` of each row's `stride ≥ classes` columns.
pub fn elite_select(
    gpu: &Gpu,
    batch: usize,
    classes: usize,
    probs: View<'_>,
    conf: View<'_>,
    winner: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_select";
    let stride = probs.len / batch.max(1);
    check_len(K, "probs", probs.len, batch * stride)?;
    if stride < classes {
        return Err(super::bad_shape(
            K,
            "probs",
            "a row of at least one column per cell",
            format!("{stride} columns for {classes} cells"),
        ));
    }
    check_len(K, "conf", conf.len, classes)?;
    check_len(K, "winner", winner.len, classes)?;
    let grid = grid_for(gpu, K, classes as u64)?;
    launch(
        gpu,
        K,
        (Shader::Elite, K, &[]),
        &[("probs", probs), ("conf", conf), ("winner", winner)],
        &EliteParams {
            batch: batch as u32,
            classes: classes as u32,
            stride: stride as u32,
            _pad: 0,
        },
        grid,
    )
}
