//! Launcher of `finite_check` (shaders/finite.wgsl) and its vec4 form `finite_check4`
//! (shaders/finite_check4.wgsl), which checks every activation of a network's forward pass: the
//! scalar form spent twice as long as the convolution before it on MobileNetV2's largest
//! layers.

use super::{bad_shape, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct FiniteParams for [Finite, Finite4] {
        pub(super) n: u32,
        pub(super) slot: u32,
        pub(super) limit: f32,
        pub(super) _pad: u32,
    }
}

/// Sets `flags[slot]` (u32) to 1 when any element of `x` is infinite or NaN, or above `limit`
/// in magnitude (`f32::MAX`: none is).
pub fn finite_check(
    gpu: &Gpu,
    x: View<'_>,
    flags: View<'_>,
    slot: usize,
    limit: f32,
) -> Result<Dispatch> {
    const K: &str = "finite_check";
    if slot >= flags.len {
        return Err(bad_shape(
            K,
            "slot",
            "below the flags' length",
            format!("{slot} of {}", flags.len),
        ));
    }
    // views bind at offsets of 256 bytes: a length of whole vec4s binds as vec4s
    let (shader, entry, per_workgroup) = if x.len.is_multiple_of(4) {
        (Shader::Finite4, "finite_check4", 1024)
    } else {
        (Shader::Finite, K, 256)
    };
    let grid = grid_for(gpu, K, x.len.div_ceil(per_workgroup) as u64)?;
    launch(
        gpu,
        K,
        (shader, entry, &[]),
        &[("x", x), ("flags", flags)],
        &FiniteParams {
            n: x.len as u32,
            slot: slot as u32,
            limit,
            _pad: 0,
        },
        grid,
    )
}
