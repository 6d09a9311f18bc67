//! Launcher of `dropout` (shaders/dropout.wgsl).

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Which elements a dropout layer drops: those whose draw
/// `uniform01(seed, step, stream, i, 9)` is below `p`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutMask {
    pub p: f32,
    pub seed: u32,
    pub stream: u32,
}

params! {
    pub(super) struct Params for [Dropout] {
        pub(super) n: u32,
        pub(super) seed: u32,
        pub(super) stream: u32,
        pub(super) _pad0: u32,
        pub(super) p: f32,
        pub(super) _pad1: [f32; 3],
    }
}

/// In place on `x`: dropped elements become 0, kept ones are scaled by `1 / (1 − p)`; the
/// step comes from `step` `(1)` u32 at run time.
pub fn dropout(gpu: &Gpu, m: &DropoutMask, step: View<'_>, x: View<'_>) -> Result<Dispatch> {
    const K: &str = "dropout";
    check_len(K, "step", step.len, 1)?;
    if !(0.0..1.0).contains(&m.p) {
        return Err(bad_shape(K, "p", "0 <= p < 1", m.p.to_string()));
    }
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Dropout, K, &[]),
        &[("step", step), ("x", x)],
        &Params {
            n: x.len as u32,
            seed: m.seed,
            stream: m.stream,
            _pad0: 0,
            p: m.p,
            _pad1: [0.0; 3],
        },
        grid,
    )
}
