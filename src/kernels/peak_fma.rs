//! Launcher of `peak_fma` (shaders/peak_fma.wgsl): what the benches measure the adapter's
//! arithmetic ceiling with.

use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct PeakParams for [PeakFma] {
        pub(super) n: u32,
        pub(super) iterations: u32,
        pub(super) m: f32,
        pub(super) c: f32,
    }
}

/// The multiplier and addend of the recurrence `a = a · m + c` (bounded: |m| < 1).
pub const PEAK_M: f32 = 0.999;
pub const PEAK_C: f32 = 0.001;

/// FLOP of one invocation of `peak_fma` over `iterations` rounds: 4 vec4 multiply-adds.
pub fn peak_flop(iterations: u32) -> f64 {
    iterations as f64 * 4.0 * 4.0 * 2.0
}

/// One `peak_fma` invocation per element of `out`, `iterations` rounds each.
pub fn peak_fma(gpu: &Gpu, iterations: u32, out: View<'_>) -> Result<Dispatch> {
    const K: &str = "peak_fma";
    let grid = grid_for(gpu, K, out.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::PeakFma, K, &[]),
        &[("out", out)],
        &PeakParams {
            n: out.len as u32,
            iterations,
            m: PEAK_M,
            c: PEAK_C,
        },
        grid,
    )
}
