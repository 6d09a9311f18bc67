//! Launcher of `parents_draw` (shaders/parents.wgsl).

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct ParentParams for [Parents] {
        pub(super) batch: u32,
        pub(super) cells: u32,
        pub(super) seed: u32,
        pub(super) stream: u32,
        pub(super) per_run: u32,
        pub(super) _pad: [u32; 3],
    }
}

/// Each of `parent`'s children gets a parent cell uniform over `cells`, drawn from `(seed,
/// clock[0], child, 0, stream)` as `evo::archive::parent_cells` draws on the host. With
/// `runs` > 1, `parent` holds `runs` equal runs, and run r draws with seed `seed + r` (the
/// caller checks it fits) and its children's indices within it, among its own `cells`
/// cells (r · cells ..).
pub fn parents_draw(
    gpu: &Gpu,
    (seed, stream): (u32, u32),
    (runs, cells): (usize, usize),
    clock: View<'_>,
    parent: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "parents_draw";
    check_len(K, "clock", clock.len, 1)?;
    if cells == 0 {
        return Err(bad_shape(K, "cells", "at least 1", "0".into()));
    }
    if runs == 0 || !parent.len.is_multiple_of(runs) {
        return Err(bad_shape(
            K,
            "parent",
            "a whole number of children per run",
            format!("{} children in {runs} runs", parent.len),
        ));
    }
    let grid = grid_for(gpu, K, parent.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Parents, K, &[]),
        &[("clock", clock), ("parent", parent)],
        &ParentParams {
            batch: parent.len as u32,
            cells: cells as u32,
            seed,
            stream,
            per_run: (parent.len / runs).max(1) as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
