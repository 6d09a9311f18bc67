//! Launchers of `depthwise2d_fwd` and `depthwise2d_bwd_input` (shaders/depthwise2d.wgsl):
//! the convolutions whose output channels each read one input channel, which `conv2d_fwd`
//! and `conv2d_bwd_input` hand over to them.

use super::{bad_shape, check_len, launch, Conv2dShape, Fused, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    /// The shape, then the count of 4-pixel pieces of rows the launch covers and per row.
    pub(super) struct DepthwiseParams for [Depthwise2d] {
        pub(super) shape: [u32; 16],
        pub(super) quads: u32,
        pub(super) quads_w: u32,
        pub(super) _pad: [u32; 2],
    }
}

/// Whether `s` is depthwise: every output channel reads one input channel.
pub fn is_depthwise(s: &Conv2dShape) -> bool {
    s.groups == s.in_c && s.groups > 1
}

fn params(s: &Conv2dShape, rows: usize, width: usize) -> DepthwiseParams {
    let quads_w = width.div_ceil(4);
    DepthwiseParams {
        shape: s.words(),
        quads: (rows * quads_w) as u32,
        quads_w: quads_w as u32,
        _pad: [0; 2],
    }
}

fn check(kernel: &str, s: &Conv2dShape) -> Result<()> {
    s.validate()?;
    if !is_depthwise(s) {
        return Err(bad_shape(
            kernel,
            "groups",
            "in_c (one input channel per output channel)",
            format!("groups {} for in_c {}", s.groups, s.in_c),
        ));
    }
    Ok(())
}

/// `y = conv(x, w) + b`, then the fused activation `act`, for a depthwise `s` (see
/// [`Conv2dShape`]).
pub fn depthwise2d_fwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    act: impl Into<Fused>,
    [x, w, b, y]: [View<'_>; 4],
) -> Result<Dispatch> {
    const K: &str = "depthwise2d_fwd";
    check(K, s)?;
    check_len(K, "x", x.len, s.input_len())?;
    check_len(K, "w", w.len, s.weight_len())?;
    check_len(K, "b", b.len, s.out_c)?;
    check_len(K, "y", y.len, s.output_len())?;
    let p = params(s, s.batch * s.out_c * s.out_h(), s.out_w());
    let grid = grid_for(gpu, K, (p.quads as u64).div_ceil(64))?;
    launch(
        gpu,
        K,
        (Shader::Depthwise2d, K, &act.into().constants()),
        &[("x", x), ("w", w), ("b", b), ("y", y)],
        &p,
        grid,
    )
}

/// The input gradient `dx` of a depthwise `s` from `dy` and `w` (`b`: any view of `out_c`
/// elements, unread).
pub fn depthwise2d_bwd_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    [dy, w, dx]: [View<'_>; 3],
) -> Result<Dispatch> {
    const K: &str = "depthwise2d_bwd_input";
    check(K, s)?;
    check_len(K, "dy", dy.len, s.output_len())?;
    check_len(K, "w", w.len, s.weight_len())?;
    check_len(K, "dx", dx.len, s.input_len())?;
    let p = params(s, s.batch * s.in_c * s.in_h, s.in_w);
    let grid = grid_for(gpu, K, (p.quads as u64).div_ceil(64))?;
    launch(
        gpu,
        K,
        (Shader::Depthwise2d, K, &Fused::None.constants()),
        &[("dy", dy), ("w", w), ("unused", w), ("dx", dx)],
        &p,
        grid,
    )
}
