//! Launcher of `add_fwd` (shaders/add_fwd.wgsl).

use super::add::AddParams;
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// `y = a + b`, element-wise.
pub fn add_fwd(gpu: &Gpu, a: View<'_>, b: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "add_fwd";
    check_len(K, "b", b.len, a.len)?;
    check_len(K, "y", y.len, a.len)?;
    let grid = grid_for(gpu, K, a.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::AddFwd, K, &[]),
        &[("a", a), ("b", b), ("y", y)],
        &AddParams {
            n: a.len as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
