//! Plain-Rust twins of the WGSL kernels: same names, same shapes and layouts, written to be
//! read side by side with the shaders. They accumulate in f64 and are the tests' oracle and
//! the benches' CPU baseline. Nothing here touches the GPU, and nothing outside the tests,
//! the benches and the composed CPU networks of `nn` depends on it. One file per WGSL file
//! (same stem), to be read beside it.

mod act;
mod act_bwd;
mod add;
mod add_fwd;
mod affine;
mod ascent;
mod avgpool2d;
mod avgpool2d_bwd;
mod bias;
mod blur;
mod conv2d;
mod conv2d_bwd;
mod copy_cols;
mod crop_mean;
mod dropout;
mod elite;
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
mod poly_mutate;
mod relu;
mod relu_bwd;
mod render;
mod render_color;
mod sgd;
mod softmax;
mod softmax_prob;
mod softmax_xent;

pub use act::act_fwd;
pub use act_bwd::act_bwd;
pub use add::add_inplace;
pub use add_fwd::add_fwd;
pub use affine::affine_fwd;
pub use ascent::ascent_step;
pub use avgpool2d::avgpool2d_fwd;
pub use avgpool2d_bwd::avgpool2d_bwd;
pub use bias::bias_bwd;
pub use blur::blur;
pub use conv2d::conv2d_fwd;
pub use conv2d_bwd::{conv2d_bwd_input, conv2d_bwd_weight};
pub use copy_cols::copy_cols;
pub use crop_mean::crop_mean;
pub use dropout::dropout;
pub use elite::elite_insert;
pub use finite::finite_check;
pub use gather::gather_batch;
pub use linear::linear_fwd;
pub use linear_bwd::{linear_bwd_input, linear_bwd_weight};
pub use lrn::lrn_fwd;
pub use lrn_bwd::lrn_bwd;
pub use maxpool2d::maxpool2d_fwd;
pub use maxpool2d_bwd::maxpool2d_bwd;
pub use mul::mul_fwd;
pub use mul_bwd::mul_bwd_b;
pub use poly_mutate::{poly_mutate, sbx};
pub use relu::relu_fwd;
pub use relu_bwd::relu_bwd;
pub use render::render_grey;
pub use render_color::{color_to_bgr, render_color, render_color_crops};
pub use sgd::sgd_update;
pub use softmax::softmax_fwd;
pub use softmax_prob::softmax_prob_bwd;
pub use softmax_xent::softmax_xent_bwd;
