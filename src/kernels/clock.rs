//! Launcher of `clock_step` (shaders/clock.wgsl).

use super::add::AddParams;
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, View};

/// `clock[0] += by`, on the device: a search's generation counter.
pub fn clock_step(gpu: &Gpu, clock: View<'_>, by: u32) -> Result<Dispatch> {
    const K: &str = "clock_step";
    check_len(K, "clock", clock.len, 1)?;
    launch(
        gpu,
        K,
        (Shader::Clock, K, &[]),
        &[("clock", clock)],
        &AddParams {
            n: by,
            _pad: [0; 3],
        },
        [1, 1, 1],
    )
}
