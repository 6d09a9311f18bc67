//! Launcher of `sum_parts` (shaders/sum_parts.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct PartsParams for [SumParts] {
        pub(super) n: u32,
        pub(super) parts: u32,
        pub(super) _pad: [u32; 2],
    }
}

/// `y[i] = Σ_s x[s · n + i]` for `x` `(parts, n)` and `y` `(n)`: partial sums added in order.
pub fn sum_parts(gpu: &Gpu, parts: usize, x: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "sum_parts";
    check_len(K, "x", x.len, parts * y.len)?;
    let grid = grid_for(gpu, K, y.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::SumParts, K, &[]),
        &[("x", x), ("y", y)],
        &PartsParams {
            n: y.len as u32,
            parts: parts as u32,
            _pad: [0; 2],
        },
        grid,
    )
}
