//! One host-side launcher per WGSL entry point: shape checks, a `#[repr(C)]` params struct
//! mirroring the WGSL one, binding and grid. Launchers build a [`Dispatch`] once; callers
//! replay it as often as they like. Each launcher's CPU twin, with the same name, is in
//! [`crate::reference`].

mod ascent;
mod bias;
mod conv2d;
mod copy;
mod dropout;
mod evo;
mod gather;
mod linear;
mod lrn;
mod maxpool2d;
mod relu;
mod sgd;
mod softmax;

pub use ascent::{ascent_step, blur, blur_radius, AscentState, Step};
pub use bias::bias_bwd;
pub use conv2d::{conv2d_bwd_input, conv2d_bwd_weight, conv2d_fwd, Conv2dShape};
pub use copy::{add_inplace, copy_cols, Cols};
pub use dropout::{dropout, DropoutMask};
pub use evo::{
    crop_mean, elite_copy, elite_select, poly_mutate, render_color, render_color_crops,
    render_cppn, render_grey, set_mutation, ColorRender, Mutation, Offsets,
};
pub use gather::{gather_batch, pack_bytes};
pub use linear::{linear_bwd_input, linear_bwd_weight, linear_fwd, linear_pieces, LinearShape};
pub use lrn::{lrn_bwd, lrn_fwd, LrnShape};
pub use maxpool2d::{caffe_pooled, maxpool2d_bwd, maxpool2d_fwd, Pool2dShape};
pub use relu::{relu_bwd, relu_fwd};
pub use sgd::sgd_update;
pub use softmax::{softmax_fwd, softmax_prob_bwd, softmax_xent_bwd};

use crate::error::{Error, Result};
pub use crate::gpu::Dispatch;

/// Every WGSL file of the crate: (file name, source). Each is valid WGSL on its own.
pub const SHADERS: &[(&str, &str)] = &[
    ("conv2d.wgsl", include_str!("../../shaders/conv2d.wgsl")),
    ("linear.wgsl", include_str!("../../shaders/linear.wgsl")),
    (
        "maxpool2d.wgsl",
        include_str!("../../shaders/maxpool2d.wgsl"),
    ),
    ("relu.wgsl", include_str!("../../shaders/relu.wgsl")),
    ("softmax.wgsl", include_str!("../../shaders/softmax.wgsl")),
    (
        "softmax_xent.wgsl",
        include_str!("../../shaders/softmax_xent.wgsl"),
    ),
    (
        "linear_bwd.wgsl",
        include_str!("../../shaders/linear_bwd.wgsl"),
    ),
    (
        "conv2d_bwd.wgsl",
        include_str!("../../shaders/conv2d_bwd.wgsl"),
    ),
    (
        "maxpool2d_bwd.wgsl",
        include_str!("../../shaders/maxpool2d_bwd.wgsl"),
    ),
    ("relu_bwd.wgsl", include_str!("../../shaders/relu_bwd.wgsl")),
    ("bias.wgsl", include_str!("../../shaders/bias.wgsl")),
    ("sgd.wgsl", include_str!("../../shaders/sgd.wgsl")),
    ("gather.wgsl", include_str!("../../shaders/gather.wgsl")),
    (
        "poly_mutate.wgsl",
        include_str!("../../shaders/poly_mutate.wgsl"),
    ),
    ("render.wgsl", include_str!("../../shaders/render.wgsl")),
    (
        "render_color.wgsl",
        include_str!("../../shaders/render_color.wgsl"),
    ),
    (
        "render_cppn.wgsl",
        include_str!("../../shaders/render_cppn.wgsl"),
    ),
    ("elite.wgsl", include_str!("../../shaders/elite.wgsl")),
    (
        "softmax_prob.wgsl",
        include_str!("../../shaders/softmax_prob.wgsl"),
    ),
    ("ascent.wgsl", include_str!("../../shaders/ascent.wgsl")),
    ("blur.wgsl", include_str!("../../shaders/blur.wgsl")),
    ("lrn.wgsl", include_str!("../../shaders/lrn.wgsl")),
    (
        "copy_cols.wgsl",
        include_str!("../../shaders/copy_cols.wgsl"),
    ),
    ("add.wgsl", include_str!("../../shaders/add.wgsl")),
    ("dropout.wgsl", include_str!("../../shaders/dropout.wgsl")),
    ("lrn_bwd.wgsl", include_str!("../../shaders/lrn_bwd.wgsl")),
    (
        "crop_mean.wgsl",
        include_str!("../../shaders/crop_mean.wgsl"),
    ),
    (
        "elite_copy.wgsl",
        include_str!("../../shaders/elite_copy.wgsl"),
    ),
];

pub(crate) fn shader(file: &'static str) -> &'static str {
    SHADERS
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, s)| *s)
        .expect("every shader is listed in SHADERS")
}

/// Checks that a view bound as `what` holds exactly `expected` elements.
pub fn check_len(kernel: &str, what: &str, found: usize, expected: usize) -> Result<()> {
    if found != expected {
        return Err(Error::Shape {
            kernel: kernel.into(),
            what: format!("{what} elements"),
            expected: expected.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

pub(crate) fn bad_shape(kernel: &str, what: &str, expected: &str, found: String) -> Error {
    Error::Shape {
        kernel: kernel.into(),
        what: what.into(),
        expected: expected.into(),
        found,
    }
}

pub(crate) fn relu_constant(relu: bool) -> (&'static str, f64) {
    ("RELU", if relu { 1.0 } else { 0.0 })
}

/// Workgroup shape `(side along m, side along n)` of the direct kernels for a product of
/// `m × n` outputs: each invocation covers 4 along each, so a side is the smallest power of
/// two with 4 × side ≥ its dimension; the m side is at most 16 and the workgroup at most 256
/// invocations, so small layers and small batches waste little.
pub(crate) fn direct_shape(m: usize, n: usize) -> (usize, usize) {
    let fit = |len: usize| len.div_ceil(4).next_power_of_two();
    let side_m = fit(m).clamp(1, 16);
    (side_m, fit(n).clamp(1, 256 / side_m))
}
