//! Launchers of `conv2d_bwd_input`, `conv2d_bwd_weight` (shaders/conv2d_bwd.wgsl).

use super::conv2d::{Conv2dShape, Params};
use super::{check_len, direct_shape, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Launches a backward kernel over a `rows × cols` result per group, in 64 × 64 tiles.
fn conv_bwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    entry: &'static str,
    (rows, cols): (usize, usize),
    resources: [View<'_>; 3],
) -> Result<Dispatch> {
    let (wy, wx) = direct_shape(rows, cols);
    let (tiles_r, tiles_c) = (rows.div_ceil(4 * wy), cols.div_ceil(4 * wx));
    let num_tiles = tiles_r * tiles_c * s.groups;
    let params = Params::new(s, tiles_r, tiles_c, num_tiles);
    let grid = grid_for(gpu, entry, num_tiles as u64)?;
    let constants = [("WX", wx as f64), ("WY", wy as f64)];
    let [a, b, out] = resources;
    launch(
        gpu,
        entry,
        (Shader::Conv2dBwd, entry, &constants),
        &[("dy", a), ("operand", b), ("gradient", out)],
        &params,
        grid,
    )
}

/// The gradient with respect to the input: `dx` `(batch, in_c, in_h, in_w)` from `dy`
/// `(batch, out_c, out_h, out_w)` and `w`.
pub fn conv2d_bwd_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    dy: View<'_>,
    w: View<'_>,
    dx: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "conv2d_bwd_input";
    s.validate()?;
    check_len(K, "dy", dy.len, s.output_len())?;
    check_len(K, "w", w.len, s.weight_len())?;
    check_len(K, "dx", dx.len, s.input_len())?;
    let rows = s.in_c / s.groups;
    if super::is_depthwise(s) {
        if super::depthwise_rows::takes_bwd_input(s) {
            return super::depthwise_rows::depthwise2d_bwd_input(gpu, s, [dy, w, dx]);
        }
        return super::depthwise2d_bwd_input(gpu, s, [dy, w, dx]);
    }
    if super::subgroup_rows(gpu, rows) {
        return super::subgroup::conv2d_bwd_input(gpu, s, [dy, w, dx]);
    }
    conv_bwd(gpu, s, K, (rows, s.batch * s.in_h * s.in_w), [dy, w, dx])
}

/// The gradient with respect to the weights: `dw` `(out_c, in_c / groups, kh, kw)` from
/// `dy` and the layer's input `x`.
pub fn conv2d_bwd_weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    dy: View<'_>,
    x: View<'_>,
    dw: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "conv2d_bwd_weight";
    s.validate()?;
    check_len(K, "dy", dy.len, s.output_len())?;
    check_len(K, "x", x.len, s.input_len())?;
    check_len(K, "dw", dw.len, s.weight_len())?;
    let cols = (s.in_c / s.groups) * s.kh * s.kw;
    if super::subgroup_rows(gpu, s.out_c / s.groups) {
        return super::subgroup::conv2d_bwd_weight(gpu, s, [dy, x, dw]);
    }
    conv_bwd(gpu, s, K, (s.out_c / s.groups, cols), [dy, x, dw])
}
