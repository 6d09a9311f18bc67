//! Launcher of `relu_fwd` (shaders/relu.wgsl).

use super::shader;
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    _pad: [u32; 3],
}

/// In place: `data = max(data, 0)`, `data` of any shape.
pub fn relu_fwd(gpu: &Gpu, data: View<'_>) -> Result<Dispatch> {
    const K: &str = "relu_fwd";
    let grid = grid_for(gpu, K, data.len.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("relu.wgsl", shader("relu.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &Params {
            n: data.len as u32,
            _pad: [0; 3],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[data.binding(gpu, "relu_fwd data")?, u.as_entire_binding()],
        grid,
    )
}

/// In place: `dy = dy` where the ReLU's output `y > 0`, else 0.
pub fn relu_bwd(gpu: &Gpu, y: View<'_>, dy: View<'_>) -> Result<Dispatch> {
    const K: &str = "relu_bwd";
    super::check_len(K, "dy", dy.len, y.len)?;
    let grid = grid_for(gpu, K, dy.len.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("relu_bwd.wgsl", shader("relu_bwd.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &Params {
            n: dy.len as u32,
            _pad: [0; 3],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            y.binding(gpu, "relu_bwd y")?,
            dy.binding(gpu, "relu_bwd dy")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}
