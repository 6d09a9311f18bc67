//! Launcher of `relu_fwd` (shaders/relu.wgsl).

use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct Params for [Relu, ReluBwd, ReluBwd4] {
        pub(super) n: u32,
        pub(super) _pad: [u32; 3],
    }
}

/// In place: `data = max(data, 0)`, `data` of any shape.
pub fn relu_fwd(gpu: &Gpu, data: View<'_>) -> Result<Dispatch> {
    const K: &str = "relu_fwd";
    let grid = grid_for(gpu, K, data.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Relu, K, &[]),
        &[("data", data)],
        &Params {
            n: data.len as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
