//! Launcher of `ascent_step` (shaders/ascent.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The settings of a gradient-ascent step (docs/paper.md §6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// Each step pulls the image toward the mean image by this fraction (the L2 regulariser).
    pub decay: f32,
    /// The largest step size.
    pub max_lr: f32,
    /// The valid pixel range images are clipped to.
    pub lo: f32,
    pub hi: f32,
}

/// Per item of an ascent batch: the best probability so far, the iteration that reached it,
/// and the iterations done (mirrors `State` in shaders/ascent.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AscentState {
    pub best_prob: f32,
    pub best_iter: u32,
    pub iter: u32,
    pub _pad: u32,
}

impl AscentState {
    /// Before the first iteration: any probability beats it.
    pub const START: AscentState = AscentState {
        best_prob: -1.0,
        best_iter: u32::MAX,
        iter: 0,
        _pad: 0,
    };
}

params! {
    pub(super) struct StepParams for [Ascent] {
        pub(super) batch: u32,
        pub(super) n: u32,
        pub(super) iterations: u32,
        pub(super) _pad0: u32,
        pub(super) decay: f32,
        pub(super) max_lr: f32,
        pub(super) lo: f32,
        pub(super) hi: f32,
    }
}

/// One ascent step for each of the `state.len` items of `n` values each (see
/// shaders/ascent.wgsl): `grad`, `image`, `input` and `best` `(batch, n)`, `prob` `(batch)`,
/// `mean` `(3, n)` (the mean image, then the network's input offset and scale: input =
/// (pixel − offset) · scale), `history`
/// `(iterations, batch)`.
#[allow(clippy::too_many_arguments)]
pub fn ascent_step(
    gpu: &Gpu,
    n: usize,
    s: &Step,
    grad: View<'_>,
    prob: View<'_>,
    mean: View<'_>,
    image: View<'_>,
    input: View<'_>,
    best: View<'_>,
    state: View<'_>,
    history: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "ascent_step";
    let batch = state.len;
    for (what, v) in [
        ("grad", grad),
        ("image", image),
        ("input", input),
        ("best", best),
    ] {
        check_len(K, what, v.len, batch * n)?;
    }
    check_len(K, "prob", prob.len, batch)?;
    check_len(K, "mean", mean.len, 3 * n)?;
    check_len(
        K,
        "history (a multiple of batch)",
        history.len % batch.max(1),
        0,
    )?;
    let grid = grid_for(gpu, K, batch as u64)?;
    launch(
        gpu,
        K,
        (Shader::Ascent, K, &[]),
        &[
            ("grad", grad),
            ("prob", prob),
            ("mean", mean),
            ("image", image),
            ("input", input),
            ("best", best),
            ("state", state),
            ("history", history),
        ],
        &StepParams {
            batch: batch as u32,
            n: n as u32,
            iterations: (history.len / batch.max(1)) as u32,
            _pad0: 0,
            decay: s.decay,
            max_lr: s.max_lr,
            lo: s.lo,
            hi: s.hi,
        },
        grid,
    )
}
