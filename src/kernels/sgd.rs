//! Launcher of `sgd_update` (shaders/sgd.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct Params for [Sgd] {
        pub(super) n: u32,
        pub(super) lr_mult: f32,
        pub(super) decay_mult: f32,
        pub(super) _pad: u32,
    }
}

/// One SGD step with momentum and weight decay on `w` and its momentum `v`, from the
/// gradient `g`: `v = momentum·v + lr·lr_mult·(g + decay·decay_mult·w); w −= v`, with
/// `hyper` = `[lr, momentum, decay]` (3 f32, rewritten each iteration).
pub fn sgd_update(
    gpu: &Gpu,
    lr_mult: f32,
    decay_mult: f32,
    g: View<'_>,
    hyper: View<'_>,
    w: View<'_>,
    v: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "sgd_update";
    check_len(K, "g", g.len, w.len)?;
    check_len(K, "v", v.len, w.len)?;
    check_len(K, "hyper", hyper.len, 3)?;
    let grid = grid_for(gpu, K, w.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Sgd, K, &[]),
        &[("g", g), ("hyper", hyper), ("w", w), ("v", v)],
        &Params {
            n: w.len as u32,
            lr_mult,
            decay_mult,
            _pad: 0,
        },
        grid,
    )
}
