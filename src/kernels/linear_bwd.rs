//! Launchers of `linear_bwd_input`, `linear_bwd_weight` (shaders/linear_bwd.wgsl).

use super::linear::{LinearShape, TILE};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct BwdParams for [LinearBwd] {
        pub(super) batch: u32,
        pub(super) in_f: u32,
        pub(super) out_f: u32,
        pub(super) tiles_k: u32,
        pub(super) num_tiles: u32,
        pub(super) _pad: [u32; 3],
    }
}

fn linear_bwd(
    gpu: &Gpu,
    s: &LinearShape,
    entry: &'static str,
    rows: usize,
    [a, b, out]: [View<'_>; 3],
) -> Result<Dispatch> {
    let tiles_k = s.in_f.div_ceil(TILE);
    let num_tiles = (tiles_k * rows.div_ceil(TILE)) as u64;
    let params = BwdParams {
        batch: s.batch as u32,
        in_f: s.in_f as u32,
        out_f: s.out_f as u32,
        tiles_k: tiles_k as u32,
        num_tiles: num_tiles as u32,
        _pad: [0; 3],
    };
    let grid = grid_for(gpu, entry, num_tiles)?;
    launch(
        gpu,
        entry,
        (Shader::LinearBwd, entry, &[]),
        &[("dy", a), ("operand", b), ("gradient", out)],
        &params,
        grid,
    )
}

/// The gradient with respect to the input: `dx` `(batch, in_f)` = `dy` `(batch, out_f)` · `w`.
pub fn linear_bwd_input(
    gpu: &Gpu,
    s: &LinearShape,
    dy: View<'_>,
    w: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "linear_bwd_input";
    check_len(K, "dy", dy.len, s.batch * s.out_f)?;
    check_len(K, "w", w.len, s.out_f * s.in_f)?;
    check_len(K, "dx", dx.len, s.batch * s.in_f)?;
    if super::subgroup_rows(gpu, s.batch) {
        return super::subgroup::linear_bwd_input(gpu, s, [dy, w, dx]);
    }
    linear_bwd(gpu, s, K, s.batch, [dy, w, dx])
}

/// The gradient with respect to the weights: `dw` `(out_f, in_f)` = `dy`ᵀ · `x`.
pub fn linear_bwd_weight(
    gpu: &Gpu,
    s: &LinearShape,
    dy: View<'_>,
    x: View<'_>,
    dw: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "linear_bwd_weight";
    check_len(K, "dy", dy.len, s.batch * s.out_f)?;
    check_len(K, "x", x.len, s.batch * s.in_f)?;
    check_len(K, "dw", dw.len, s.out_f * s.in_f)?;
    if super::subgroup_rows(gpu, s.out_f) {
        return super::subgroup::linear_bwd_weight(gpu, s, [dy, x, dw]);
    }
    linear_bwd(gpu, s, K, s.out_f, [dy, x, dw])
}
