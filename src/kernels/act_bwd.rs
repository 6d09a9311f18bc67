//! Launcher of `act_bwd` (shaders/act_bwd.wgsl).

use super::act::{ActParams, Activation};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The gradient of [`super::act_fwd`]: `dx = dy · f'(x)`, from the activation's input `x`.
pub fn act_bwd(
    gpu: &Gpu,
    f: Activation,
    x: View<'_>,
    dy: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "act_bwd";
    check_len(K, "dy", dy.len, x.len)?;
    check_len(K, "dx", dx.len, x.len)?;
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    let (params, kind) = ActParams::new(f, x.len);
    launch(
        gpu,
        K,
        (Shader::ActBwd, K, &[("KIND", kind)]),
        &[("x", x), ("dy", dy), ("dx", dx)],
        &params,
        grid,
    )
}
