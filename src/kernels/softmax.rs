//! Launcher of `softmax_fwd` (shaders/softmax.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct Params for [Softmax, SoftmaxProb] {
        pub(super) rows: u32,
        pub(super) cols: u32,
        pub(super) _pad: [u32; 2],
    }
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
    launch(
        gpu,
        K,
        (Shader::Softmax, K, &[]),
        &[("x", x), ("y", y)],
        &Params {
            rows: rows as u32,
            cols: cols as u32,
            _pad: [0; 2],
        },
        grid,
    )
}
