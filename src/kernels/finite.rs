//! Launcher of `finite_check` (shaders/finite.wgsl).

use super::{bad_shape, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct FiniteParams for [Finite] {
        pub(super) n: u32,
        pub(super) slot: u32,
        pub(super) _pad: [u32; 2],
    }
}

/// Sets `flags[slot]` (u32) to 1 when any element of `x` is infinite or NaN.
pub fn finite_check(gpu: &Gpu, x: View<'_>, flags: View<'_>, slot: usize) -> Result<Dispatch> {
    const K: &str = "finite_check";
    if slot >= flags.len {
        return Err(bad_shape(
            K,
            "slot",
            "below the flags' length",
            format!("{slot} of {}", flags.len),
        ));
    }
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Finite, K, &[]),
        &[("x", x), ("flags", flags)],
        &FiniteParams {
            n: x.len as u32,
            slot: slot as u32,
            _pad: [0; 2],
        },
        grid,
    )
}
