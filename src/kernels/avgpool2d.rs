//! Launcher of `avgpool2d_fwd` (shaders/avgpool2d.wgsl).

use super::maxpool2d::{Params, Pool2dShape};
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Average-pools `x` `(planes, in_h, in_w)` into `y` `(planes, out_h, out_w)`; the divisor
/// counts the padding inside the window when `count_pad` (ONNX's `count_include_pad`).
pub fn avgpool2d_fwd(
    gpu: &Gpu,
    s: &Pool2dShape,
    count_pad: bool,
    x: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "avgpool2d_fwd";
    s.validate()?;
    check_len(K, "x", x.len, s.input_len())?;
    check_len(K, "y", y.len, s.output_len())?;
    let grid = grid_for(gpu, K, s.output_len().div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (
            Shader::Avgpool2d,
            K,
            &[("COUNT_PAD", count_pad as u8 as f64)],
        ),
        &[("x", x), ("y", y)],
        &Params::new(s),
        grid,
    )
}
