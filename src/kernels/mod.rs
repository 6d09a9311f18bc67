//! One host-side launcher per WGSL entry point: shape checks, a `#[repr(C)]` params struct
//! mirroring the WGSL one, binding and grid. Launchers build a [`Dispatch`] once; callers
//! replay it as often as they like. Each launcher's CPU twin, with the same name, is in
//! [`crate::reference`].

/// Where a params struct's fields lie: what the test of params layouts holds against the
/// `Params` struct of each shader the struct is bound to (sizes, offsets and scalar types).
#[derive(Clone, Copy, Debug)]
pub struct ParamsLayout {
    pub shaders: &'static [Shader],
    pub rust: &'static str,
    pub size: usize,
    /// (name, byte offset, type as written) of every field.
    pub fields: &'static [(&'static str, usize, &'static str)],
}

/// Declares a `#[repr(C)]` params struct bound to the uniform `Params` of `shaders`, with
/// its layout ([`ParamsLayout`]) as the associated constant `LAYOUT`.
macro_rules! params {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident for [$($shader:ident),+] {
            $($fvis:vis $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name {
            $($fvis $field: $ty,)*
        }

        impl $name {
            #[allow(dead_code)]
            pub(super) const LAYOUT: super::ParamsLayout = super::ParamsLayout {
                shaders: &[$(super::Shader::$shader),+],
                rust: concat!(module_path!(), "::", stringify!($name)),
                size: std::mem::size_of::<$name>(),
                fields: &[$((stringify!($field), std::mem::offset_of!($name, $field), stringify!($ty)),)*],
            };
        }
    };
}

mod act;
mod act_bwd;
mod add;
mod add_fwd;
mod affine;
mod ascent;
mod augment;
mod avgpool2d;
mod avgpool2d_bwd;
mod bias;
mod blur;
mod clock;
mod conv2d;
mod conv2d_bwd;
mod copy_cols;
mod crop_mean;
mod depthwise2d;
pub mod depthwise_rows;
mod dropout;
mod elite;
mod elite_copy;
mod finite;
mod gather;
mod linear;
mod linear_bwd;
mod lrn;
mod lrn_bwd;
mod maxpool2d;
mod maxpool2d_bwd;
mod mul;
mod mul_bwd;
mod pad2d;
mod parents;
mod peak_copy;
mod peak_fma;
mod peak_gather;
mod poly_mutate;
mod relu;
mod relu_bwd;
mod render;
mod render_color;
mod render_cppn;
mod sgd;
mod softmax;
mod softmax_prob;
mod softmax_xent;
mod subgroup;
mod sum_parts;

pub use act::{act_fwd, Activation};
pub use act_bwd::act_bwd;
pub use add::add_inplace;
pub use add_fwd::add_fwd;
pub use affine::affine_fwd;
pub use ascent::{ascent_step, AscentState, Step};
pub use augment::{augment, Augment};
pub use avgpool2d::avgpool2d_fwd;
pub use avgpool2d_bwd::avgpool2d_bwd;
pub use bias::bias_bwd;
pub use blur::{blur, blur_radius};
pub use clock::clock_step;
pub use conv2d::{conv2d_fwd, Conv2dShape};
pub use conv2d_bwd::{conv2d_bwd_input, conv2d_bwd_weight};
pub use copy_cols::{copy_cols, Cols};
pub use crop_mean::crop_mean;
pub use depthwise2d::{depthwise2d_bwd_input, depthwise2d_fwd, is_depthwise};
pub use dropout::{dropout, DropoutMask};
pub use elite::elite_select;
pub use elite_copy::elite_copy;
pub use finite::finite_check;
pub use gather::{gather_batch, pack_bytes};
pub use linear::{linear_fwd, linear_pieces, LinearShape};
pub use linear_bwd::{linear_bwd_input, linear_bwd_weight};
pub use lrn::{lrn_fwd, LrnShape};
pub use lrn_bwd::lrn_bwd;
pub use maxpool2d::{caffe_pooled, maxpool2d_fwd, pooled, Pool2dShape};
pub use maxpool2d_bwd::maxpool2d_bwd;
pub use mul::{mul_fwd, Broadcast};
pub use mul_bwd::mul_bwd_b;
pub use pad2d::{pad2d_bwd, pad2d_fwd, Pad2d};
pub use parents::parents_draw;
pub use peak_copy::peak_copy;
pub use peak_fma::{peak_flop, peak_fma, PEAK_C, PEAK_M};
pub use peak_gather::{gather_flop, peak_gather};
pub use poly_mutate::{poly_mutate, Mutation, Offsets};
pub use relu::relu_fwd;
pub use relu_bwd::relu_bwd;
pub use render::render_grey;
pub use render_color::{render_color, render_color_crops, ColorRender};
pub use render_cppn::render_cppn;
pub use sgd::sgd_update;
pub use softmax::softmax_fwd;
pub use softmax_prob::softmax_prob_bwd;
pub use softmax_xent::softmax_xent_bwd;
pub use subgroup::{
    all_sources as subgroup_sources, Kernel as SubgroupKernel, ROWS as SUBGROUP_ROWS,
};
pub use sum_parts::sum_parts;

use crate::error::{Error, Result};
pub use crate::gpu::Dispatch;
use crate::gpu::{Gpu, View};

/// Every WGSL file of the crate, one variant each: the file's source, with the shared code of
/// `shaders/include/` it names, is included at compile time (a missing file does not build),
/// and launchers name shaders by variant, so a misspelt name cannot reach run time.
macro_rules! shaders {
    ($($variant:ident => $stem:literal $(with $include:literal)?,)*) => {
        /// A WGSL file of `shaders/`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Shader {
            $($variant,)*
        }

        impl Shader {
            /// Every shader.
            pub const ALL: &'static [Shader] = &[$(Shader::$variant,)*];

            /// The file name, e.g. `conv2d.wgsl`.
            pub fn file(self) -> &'static str {
                match self {
                    $(Shader::$variant => concat!($stem, ".wgsl"),)*
                }
            }

            /// The WGSL source: the file, then the file of `shaders/include/` it names (appended,
            /// so the file's own line numbers hold in error messages).
            pub const fn source(self) -> &'static str {
                match self {
                    $(Shader::$variant => concat!(
                        include_str!(concat!("../../shaders/", $stem, ".wgsl")),
                        $("\n", include_str!(concat!("../../shaders/include/", $include, ".wgsl")),)?
                    ),)*
                }
            }

            /// The compute pipeline for `entry` with `constants` (built once, then cached).
            pub fn pipeline(
                self,
                gpu: &crate::gpu::Gpu,
                entry: &'static str,
                constants: &[(&'static str, f64)],
            ) -> Result<std::sync::Arc<wgpu::ComputePipeline>> {
                gpu.pipeline(self.file(), self.source(), entry, constants)
            }
        }

        /// Every WGSL file of `shaders/`: (file name, source with its include). Each is valid
        /// WGSL.
        pub const SHADERS: &[(&str, &str)] = &[
            $((concat!($stem, ".wgsl"), Shader::$variant.source()),)*
        ];
    };
}

shaders! {
    Act => "act",
    ActBwd => "act_bwd",
    Add => "add",
    AddFwd => "add_fwd",
    Affine => "affine",
    Ascent => "ascent",
    Augment => "augment" with "counter_hash",
    Avgpool2d => "avgpool2d",
    Avgpool2dBwd => "avgpool2d_bwd",
    Bias => "bias",
    Blur => "blur",
    Clock => "clock",
    Conv2d => "conv2d",
    Conv2dBwd => "conv2d_bwd",
    CopyCols => "copy_cols",
    CropMean => "crop_mean",
    Depthwise2d => "depthwise2d",
    Dropout => "dropout" with "counter_hash",
    Elite => "elite",
    EliteCopy => "elite_copy",
    Finite => "finite",
    Finite4 => "finite_check4",
    Gather => "gather",
    Linear => "linear",
    LinearBwd => "linear_bwd",
    Lrn => "lrn",
    LrnBwd => "lrn_bwd",
    Maxpool2d => "maxpool2d",
    Maxpool2x2 => "maxpool2x2",
    Maxpool2dBwd => "maxpool2d_bwd",
    Mul => "mul",
    MulBwd => "mul_bwd",
    Pad2d => "pad2d",
    Parents => "parents" with "counter_hash",
    PeakCopy => "peak_copy",
    PeakFma => "peak_fma",
    PeakGather => "peak_gather",
    PolyMutate => "poly_mutate" with "counter_hash",
    Relu => "relu",
    ReluBwd => "relu_bwd",
    ReluBwd4 => "relu_bwd4",
    Render => "render",
    RenderColor => "render_color",
    RenderCppn => "render_cppn",
    Sgd => "sgd",
    Softmax => "softmax",
    SoftmaxProb => "softmax_prob",
    SoftmaxXent => "softmax_xent",
    SumParts => "sum_parts",
}

/// The layout of every params struct, for the test that holds each against its shaders.
pub fn params_layouts() -> Vec<ParamsLayout> {
    vec![
        act::ActParams::LAYOUT,
        add::AddParams::LAYOUT,
        affine::AffineParams::LAYOUT,
        ascent::StepParams::LAYOUT,
        augment::Params::LAYOUT,
        bias::Params::LAYOUT,
        blur::BlurParams::LAYOUT,
        conv2d::Params::LAYOUT,
        copy_cols::ColsParams::LAYOUT,
        crop_mean::MeanParams::LAYOUT,
        depthwise2d::DepthwiseParams::LAYOUT,
        dropout::Params::LAYOUT,
        elite::EliteParams::LAYOUT,
        elite_copy::CopyParams::LAYOUT,
        finite::FiniteParams::LAYOUT,
        gather::Params::LAYOUT,
        linear::Params::LAYOUT,
        linear_bwd::BwdParams::LAYOUT,
        lrn::Params::LAYOUT,
        maxpool2d::Params::LAYOUT,
        mul::MulParams::LAYOUT,
        pad2d::PadParams::LAYOUT,
        parents::ParentParams::LAYOUT,
        peak_fma::PeakParams::LAYOUT,
        peak_gather::GatherParams::LAYOUT,
        poly_mutate::MutateParams::LAYOUT,
        relu::Params::LAYOUT,
        render::RenderParams::LAYOUT,
        render_color::ColorParams::LAYOUT,
        render_cppn::CppnParams::LAYOUT,
        sgd::Params::LAYOUT,
        softmax::Params::LAYOUT,
        softmax_xent::XentParams::LAYOUT,
        sum_parts::PartsParams::LAYOUT,
    ]
}

/// The launch every launcher ends with: `entry` of `shader` with its `override` constants,
/// the storage bindings `buffers` in binding order (named in errors as "`label` name"), then
/// a uniform holding `params`, over `grid`. The uniform is kept, so
/// [`Dispatch::write_uniform`] can change the params between replays.
pub(crate) fn launch<P: bytemuck::Pod>(
    gpu: &Gpu,
    label: &'static str,
    (shader, entry, constants): (Shader, &'static str, &[(&'static str, f64)]),
    buffers: &[(&str, View<'_>)],
    params: &P,
    grid: [u32; 3],
) -> Result<Dispatch> {
    let pipeline = shader.pipeline(gpu, entry, constants)?;
    let u = gpu.uniform(label, params);
    let mut resources = Vec::with_capacity(buffers.len() + 1);
    for (name, view) in buffers {
        resources.push(view.binding(gpu, &format!("{label} {name}"))?);
    }
    resources.push(u.as_entire_binding());
    Ok(Dispatch::new(gpu, label, pipeline, &resources, grid)?.keep_uniform(u))
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

/// Whether a product of `rows` rows runs in its subgroup form on `gpu`: its variant is
/// [`Variant::Subgroup`] and the rows fill at least one register block of 8.
pub(crate) fn subgroup_rows(gpu: &Gpu, rows: usize) -> bool {
    gpu.variant == crate::gpu::Variant::Subgroup && rows >= 1
}

/// The activation a convolution or fully-connected kernel applies to its outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fused {
    None,
    /// `min(max(v, 0), cap)`: a ReLU (`cap` infinite) or a ReLU6 (`cap` 6).
    Relu(f32),
}

impl From<bool> for Fused {
    /// A plain ReLU, or none.
    fn from(relu: bool) -> Fused {
        if relu {
            Fused::RELU
        } else {
            Fused::None
        }
    }
}

impl Fused {
    /// A plain ReLU.
    pub const RELU: Fused = Fused::Relu(f32::INFINITY);

    /// `v` after the activation.
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Fused::None => v,
            Fused::Relu(cap) => v.max(0.0).min(cap as f64),
        }
    }

    /// The `RELU` and `CAP` overrides of the kernels that apply it.
    pub(crate) fn constants(self) -> [(&'static str, f64); 2] {
        match self {
            Fused::None => [("RELU", 0.0), ("CAP", f32::MAX as f64)],
            Fused::Relu(cap) => [("RELU", 1.0), ("CAP", cap.min(f32::MAX) as f64)],
        }
    }
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
