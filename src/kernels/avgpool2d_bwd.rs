//! Launcher of `avgpool2d_bwd` (shaders/avgpool2d_bwd.wgsl).

use super::maxpool2d::{Params, Pool2dShape};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The gradient of [`super::avgpool2d_fwd`] (same `count_pad`): `dx` `(planes, in_h, in_w)`
/// from `dy` `(planes, out_h, out_w)`.
pub fn avgpool2d_bwd(
    gpu: &Gpu,
    s: &Pool2dShape,
    count_pad: bool,
    dy: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "avgpool2d_bwd";
    s.validate()?;
    check_len(K, "dy", dy.len, s.output_len())?;
    check_len(K, "dx", dx.len, s.input_len())?;
    let grid = grid_for(gpu, K, s.input_len().div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (
            Shader::Avgpool2dBwd,
            K,
            &[("COUNT_PAD", count_pad as u8 as f64)],
        ),
        &[("dy", dy), ("dx", dx)],
        &Params::new(s),
        grid,
    )
}
