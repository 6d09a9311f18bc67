//! Launcher of `relu_bwd` (shaders/relu_bwd.wgsl) and its vec4 form `relu_bwd4`
//! (shaders/relu_bwd4.wgsl), for lengths of whole vec4s.

use super::relu::Params;
use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// In place: `dy = dy` where the output `y` of a ReLU capped at `cap` (infinite for a plain
/// ReLU) is strictly between 0 and `cap`, else 0.
pub fn relu_bwd(gpu: &Gpu, cap: f32, y: View<'_>, dy: View<'_>) -> Result<Dispatch> {
    const K: &str = "relu_bwd";
    super::check_len(K, "dy", dy.len, y.len)?;
    // views bind at offsets of 256 bytes: a length of whole vec4s binds as vec4s
    let (shader, entry, per_workgroup) = if dy.len.is_multiple_of(4) {
        (Shader::ReluBwd4, "relu_bwd4", 1024)
    } else {
        (Shader::ReluBwd, K, 256)
    };
    let grid = grid_for(gpu, K, dy.len.div_ceil(per_workgroup) as u64)?;
    launch(
        gpu,
        K,
        (shader, entry, &[("CAP", cap.min(f32::MAX) as f64)]),
        &[("y", y), ("dy", dy)],
        &Params {
            n: dy.len as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
