//! Launcher of `add_inplace` (shaders/add.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct AddParams for [Add, AddFwd, Clock, PeakCopy] {
        pub(super) n: u32,
        pub(super) _pad: [u32; 3],
    }
}

/// `y += x`, element-wise.
pub fn add_inplace(gpu: &Gpu, x: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "add_inplace";
    check_len(K, "x", x.len, y.len)?;
    let grid = grid_for(gpu, K, y.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Add, K, &[]),
        &[("x", x), ("y", y)],
        &AddParams {
            n: y.len as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
