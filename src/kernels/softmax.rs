//! Launcher of `softmax_fwd` (shaders/softmax.wgsl).

use super::{check_len, shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    _pad: [u32; 2],
}

/// Row-wise softmax of `x` `(rows, cols)` into `y` `(rows, cols)`, both row-major.
pub fn softmax_fwd(
    gpu: &Gpu,
    rows: usize,
    cols: usize,
    x: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "softmax_fwd";
    check_len(K, "x", x.len, rows * cols)?;
    check_len(K, "y", y.len, rows * cols)?;
    let grid = grid_for(gpu, K, rows as u64)?;
    let pipeline = gpu.pipeline("softmax.wgsl", shader("softmax.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &Params {
            rows: rows as u32,
            cols: cols as u32,
            _pad: [0; 2],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            x.binding(gpu, "softmax_fwd x")?,
            y.binding(gpu, "softmax_fwd y")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct XentParams {
    rows: u32,
    cols: u32,
    scale: f32,
    _pad: u32,
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
    let pipeline = gpu.pipeline("softmax_xent.wgsl", shader("softmax_xent.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &XentParams {
            rows: rows as u32,
            cols: cols as u32,
            scale,
            _pad: 0,
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            x.binding(gpu, "softmax_xent_bwd x")?,
            label.binding(gpu, "softmax_xent_bwd label")?,
            dx.binding(gpu, "softmax_xent_bwd dx")?,
            loss.binding(gpu, "softmax_xent_bwd loss")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

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
    let pipeline = gpu.pipeline("softmax_prob.wgsl", shader("softmax_prob.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &Params {
            rows: rows as u32,
            cols: cols as u32,
            _pad: [0; 2],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            x.binding(gpu, "softmax_prob_bwd x")?,
            target.binding(gpu, "softmax_prob_bwd target")?,
            dx.binding(gpu, "softmax_prob_bwd dx")?,
            prob.binding(gpu, "softmax_prob_bwd prob")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}
