//! Launcher of `peak_gather` (shaders/peak_gather.wgsl): the ceiling of the direct
//! convolution's access pattern, which the benches hold the matrix kernels against beside
//! the arithmetic peak.

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct GatherParams for [PeakGather] {
        pub(super) n: u32,
        pub(super) iterations: u32,
        pub(super) mask: u32,
        pub(super) _pad: u32,
    }
}

/// FLOP of one invocation of `peak_gather` over `iterations` rounds: 4 vec4 multiply-adds.
pub fn gather_flop(iterations: u32) -> f64 {
    iterations as f64 * 4.0 * 4.0 * 2.0
}

/// One `peak_gather` invocation per element of `out`, `iterations` rounds each, reading
/// `table` (a power of two of f32).
pub fn peak_gather(gpu: &Gpu, iterations: u32, table: View<'_>, out: View<'_>) -> Result<Dispatch> {
    const K: &str = "peak_gather";
    if !table.len.is_power_of_two() {
        return Err(bad_shape(
            K,
            "table",
            "a power of two of values",
            table.len.to_string(),
        ));
    }
    check_len(K, "out", out.len, out.len.max(1))?;
    let grid = grid_for(gpu, K, out.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::PeakGather, K, &[]),
        &[("table", table), ("out", out)],
        &GatherParams {
            n: out.len as u32,
            iterations,
            mask: table.len as u32 - 1,
            _pad: 0,
        },
        grid,
    )
}
