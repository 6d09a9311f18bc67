//! Launchers of `linear_fwd`, `linear_pieces` (shaders/linear.wgsl).

use super::{check_len, direct_shape, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, Variant, View};

/// Shape of a fully-connected layer: input `(batch, in_f)`, weights `(out_f, in_f)`,
/// output `(batch, out_f)`, row-major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearShape {
    pub batch: usize,
    pub in_f: usize,
    pub out_f: usize,
}

impl LinearShape {
    pub fn macs(&self) -> u64 {
        (self.batch * self.in_f * self.out_f) as u64
    }
}

params! {
    pub(super) struct Params for [Linear] {
        pub(super) batch: u32,
        pub(super) in_f: u32,
        pub(super) out_f: u32,
        pub(super) tiles_m: u32,
        pub(super) num_tiles: u32,
        pub(super) _pad: [u32; 3],
    }
}

pub(super) const TILE: usize = 64;

/// `y = x w^T + b`, then the fused activation `act` (a bool: a ReLU or none); see [`LinearShape`] for the layouts.
/// Launches `linear_fwd`, `linear_fwd_direct` or `linear_fwd_sg` as `gpu.variant` says.
pub fn linear_fwd(
    gpu: &Gpu,
    s: &LinearShape,
    act: impl Into<super::Fused>,
    x: View<'_>,
    w: View<'_>,
    b: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "linear_fwd";
    check_len(K, "x", x.len, s.batch * s.in_f)?;
    check_len(K, "w", w.len, s.out_f * s.in_f)?;
    check_len(K, "b", b.len, s.out_f)?;
    check_len(K, "y", y.len, s.batch * s.out_f)?;
    let act = act.into();
    if super::subgroup_rows(gpu, s.batch) {
        return super::subgroup::linear_fwd(gpu, s, act, [x, w, b, y]);
    }
    let mut constants = act.constants().to_vec();
    let (entry, tile_m, tile_n) = match gpu.variant {
        Variant::Tiled => ("linear_fwd", TILE, TILE),
        Variant::Direct | Variant::Subgroup => {
            let (wx, wy) = direct_shape(s.out_f, s.batch);
            constants.extend([("WX", wx as f64), ("WY", wy as f64)]);
            ("linear_fwd_direct", 4 * wx, 4 * wy)
        }
    };
    let tiles_m = s.out_f.div_ceil(tile_m);
    let num_tiles = (tiles_m * s.batch.div_ceil(tile_n)) as u64;
    let grid = grid_for(gpu, K, num_tiles)?;
    let params = Params {
        batch: s.batch as u32,
        in_f: s.in_f as u32,
        out_f: s.out_f as u32,
        tiles_m: tiles_m as u32,
        num_tiles: num_tiles as u32,
        _pad: [0; 3],
    };
    launch(
        gpu,
        K,
        (Shader::Linear, entry, &constants),
        &[("x", x), ("w", w), ("b", b), ("y", y)],
        &params,
        grid,
    )
}

/// Blocks of rows `(first, rows)` of a fully-connected layer's weights `(out_f, in_f)` that
/// each fit one storage binding on `gpu`: the whole matrix when it fits (as everywhere but
/// CaffeNet's fc6 on small devices), otherwise blocks of a multiple of 64 rows, so that every
/// block's byte offset in the weights and the bias stays aligned.
pub fn linear_pieces(gpu: &Gpu, s: &LinearShape) -> Result<Vec<(usize, usize)>> {
    let row_bytes = (s.in_f * 4) as u64;
    let limit = gpu.max_binding();
    if row_bytes * s.out_f as u64 <= limit {
        return Ok(vec![(0, s.out_f)]);
    }
    let rows = (limit / row_bytes) as usize / 64 * 64;
    if rows == 0 {
        return Err(crate::error::Error::LimitExceeded {
            what: format!("64 rows of a {}x{} fully-connected weight", s.out_f, s.in_f),
            limit_name: "max_storage_buffer_binding_size",
            requested: 64 * row_bytes,
            limit,
        });
    }
    Ok((0..s.out_f)
        .step_by(rows)
        .map(|first| (first, rows.min(s.out_f - first)))
        .collect())
}
