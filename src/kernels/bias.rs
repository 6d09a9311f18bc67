//! Launcher of `bias_bwd` (shaders/bias.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct Params for [Bias] {
        pub(super) batch: u32,
        pub(super) channels: u32,
        pub(super) spatial: u32,
        pub(super) _pad: u32,
    }
}

/// The gradient of a per-channel bias: `db[c]` = Σ over `n`, `s` of `dy[n, c, s]`, with `dy`
/// `(batch, channels, spatial)` (spatial = 1 for a fully-connected layer).
pub fn bias_bwd(
    gpu: &Gpu,
    batch: usize,
    channels: usize,
    spatial: usize,
    dy: View<'_>,
    db: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "bias_bwd";
    check_len(K, "dy", dy.len, batch * channels * spatial)?;
    check_len(K, "db", db.len, channels)?;
    let grid = grid_for(gpu, K, channels as u64)?;
    let params = Params {
        batch: batch as u32,
        channels: channels as u32,
        spatial: spatial as u32,
        _pad: 0,
    };
    launch(
        gpu,
        K,
        (Shader::Bias, K, &[]),
        &[("dy", dy), ("db", db)],
        &params,
        grid,
    )
}
