//! Launcher of `softmax_prob_bwd` (shaders/softmax_prob.wgsl).

use super::softmax::Params;
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The gradient of softmax probability `p_t` (t = `target[r]`) of each row of logits `x`
/// `(rows, cols)` with respect to the logits: `dx[r, c] = p_t · (onehot(t)_c − p_c)`, and
/// `p_t` itself into `prob` `(rows)`.
pub fn softmax_prob_bwd(
    gpu: &Gpu,
    rows: usize,
    cols: usize,
    x: View<'_>,
    target: View<'_>,
    dx: View<'_>,
    prob: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "softmax_prob_bwd";
    check_len(K, "x", x.len, rows * cols)?;
    check_len(K, "target", target.len, rows)?;
    check_len(K, "dx", dx.len, rows * cols)?;
    check_len(K, "prob", prob.len, rows)?;
    let grid = grid_for(gpu, K, rows as u64)?;
    launch(
        gpu,
        K,
        (Shader::SoftmaxProb, K, &[]),
        &[("x", x), ("target", target), ("dx", dx), ("prob", prob)],
        &Params {
            rows: rows as u32,
            cols: cols as u32,
            _pad: [0; 2],
        },
        grid,
    )
}
