//! Launcher of `maxpool2d_bwd` (shaders/maxpool2d_bwd.wgsl).

use super::maxpool2d::{Params, Pool2dShape};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The gradient with respect to the input: `dx` `(planes, in_h, in_w)` from `dy` and the
/// arg-max `arg` (both `(planes, out_h, out_w)`) that [`maxpool2d_fwd`] wrote.
pub fn maxpool2d_bwd(
    gpu: &Gpu,
    s: &Pool2dShape,
    dy: View<'_>,
    arg: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "maxpool2d_bwd";
    s.validate()?;
    check_len(K, "dy", dy.len, s.output_len())?;
    check_len(K, "arg", arg.len, s.output_len())?;
    check_len(K, "dx", dx.len, s.input_len())?;
    let grid = grid_for(gpu, K, s.input_len().div_ceil(256) as u64)?;
    let params = Params::new(s);
    launch(
        gpu,
        K,
        (Shader::Maxpool2dBwd, K, &[]),
        &[("dy", dy), ("arg", arg), ("dx", dx)],
        &params,
        grid,
    )
}
