//! Launcher of `softmax_xent_bwd` (shaders/softmax_xent.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct XentParams for [SoftmaxXent] {
        pub(super) rows: u32,
        pub(super) cols: u32,
        pub(super) scale: f32,
        pub(super) _pad: u32,
    }
}

/// Softmax cross-entropy of logits `x` `(rows, cols)` against `label` `(rows)` u32: writes
/// the loss per row into `loss` `(rows)` and `(softmax(x) − onehot(label)) · scale` into `dx`.
#[allow(clippy::too_many_arguments)]
pub fn softmax_xent_bwd(
    gpu: &Gpu,
    rows: usize,
    cols: usize,
    scale: f32,
    x: View<'_>,
    label: View<'_>,
    dx: View<'_>,
    loss: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "softmax_xent_bwd";
    check_len(K, "x", x.len, rows * cols)?;
    check_len(K, "label", label.len, rows)?;
    check_len(K, "dx", dx.len, rows * cols)?;
    check_len(K, "loss", loss.len, rows)?;
    let grid = grid_for(gpu, K, rows as u64)?;
    launch(
        gpu,
        K,
        (Shader::SoftmaxXent, K, &[]),
        &[("x", x), ("label", label), ("dx", dx), ("loss", loss)],
        &XentParams {
            rows: rows as u32,
            cols: cols as u32,
            scale,
            _pad: 0,
        },
        grid,
    )
}
