//! Launcher of `lrn_bwd` (shaders/lrn_bwd.wgsl).

use super::lrn::{params, LrnShape};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// `dx` = the gradient of `lrn_fwd` at `x` applied to `dy`, all `(batch, channels, spatial)`.
pub fn lrn_bwd(
    gpu: &Gpu,
    s: &LrnShape,
    x: View<'_>,
    dy: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "lrn_bwd";
    s.validate(K)?;
    check_len(K, "x", x.len, s.len())?;
    check_len(K, "dy", dy.len, s.len())?;
    check_len(K, "dx", dx.len, s.len())?;
    let grid = grid_for(gpu, K, s.len().div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::LrnBwd, K, &[]),
        &[("x", x), ("dy", dy), ("dx", dx)],
        &params(s),
        grid,
    )
}
