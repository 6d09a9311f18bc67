//! Launcher of `relu_bwd` (shaders/relu_bwd.wgsl).

use super::relu::Params;
use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// In place: `dy = dy` where the output `y` of a ReLU capped at `cap` (infinite for a plain
/// ReLU) is strictly between 0 and `cap`, else 0.
pub fn relu_bwd(gpu: &Gpu, cap: f32, y: View<'_>, dy: View<'_>) -> Result<Dispatch> {
    const K: &str = "relu_bwd";
    super::check_len(K, "dy", dy.len, y.len)?;
    let grid = grid_for(gpu, K, dy.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::ReluBwd, K, &[("CAP", cap.min(f32::MAX) as f64)]),
        &[("y", y), ("dy", dy)],
        &Params {
            n: dy.len as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
