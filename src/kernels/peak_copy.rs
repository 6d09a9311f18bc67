//! Launcher of `peak_copy` (shaders/peak_copy.wgsl): what the benches measure the adapter's
//! memory ceiling with.

use super::add::AddParams;
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// `dst = src`, both `(n)` f32 with `n` a multiple of 4 (copied a vec4 at a time).
pub fn peak_copy(gpu: &Gpu, src: View<'_>, dst: View<'_>) -> Result<Dispatch> {
    const K: &str = "peak_copy";
    check_len(K, "dst", dst.len, src.len)?;
    check_len(K, "src (a multiple of 4)", src.len % 4, 0)?;
    let n = src.len / 4;
    let grid = grid_for(gpu, K, n.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::PeakCopy, K, &[]),
        &[("src", src), ("dst", dst)],
        &AddParams {
            n: n as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
