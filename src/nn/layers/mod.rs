//! The layers a network's graph is made of ([`Layer`]) and its nodes ([`Node`]): a layer
//! applied to earlier values. Each layer lives in a file of its own that holds all it does
//! ([`Op`]): its output shape, its parameters, the bound of its outputs, its forward
//! dispatches, its backward dispatches, and its CPU twin forward and backward.

mod act;
mod affine;
mod arith;
mod concat;
mod conv;
mod dropout;
mod linear;
mod lrn;
mod pad;
mod pool;
mod reshape;

pub use affine::Affine;
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use linear::Linear;
pub(crate) use linear::SplitLinear;
pub use lrn::Lrn;
pub use pad::Pad;
pub use pool::{Pool, PoolKind};
pub use reshape::Reshape;

use crate::error::Result;
use crate::kernels::Activation;
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::nn::Weights;

/// One operation. Activations are NCHW; a [`Layer::Linear`] reads its input flattened in
/// (C, H, W) order, as Caffe and PyTorch do.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Conv2d(Conv2d),
    Pool(Pool),
    /// The mean of each channel's plane: `(c, h, w)` → `(c, 1, 1)`.
    GlobalAvgPool,
    Linear(Linear),
    /// ReLU on its own, for a layer that cannot take it fused (in place where nothing else
    /// reads its input).
    Relu,
    /// Another element-wise activation.
    Act(Activation),
    Lrn(Lrn),
    Dropout(Dropout),
    Affine(Affine),
    /// The sum of two inputs of the same shape.
    Add,
    /// The product of two inputs: the same shape, or the second `(c, 1, 1)` (one factor per
    /// image and channel, as squeeze-excitation gates are).
    Mul,
    /// The inputs joined along the channels (the same height and width).
    Concat,
    Reshape(Reshape),
    Pad(Pad),
}

/// One node of a network's graph: `layer` applied to the values `inputs`. Value 0 is the
/// network's input, value `k + 1` the output of node `k`; a node reads only earlier values.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub layer: Layer,
    pub inputs: Vec<usize>,
}

/// Why a node's inputs do not fit its layer: what, what it takes, what it was given.
pub(crate) struct Mismatch {
    pub what: &'static str,
    pub expected: String,
    pub found: String,
}

/// A node's output shape, or why its inputs do not fit.
pub(crate) type ShapeResult = std::result::Result<[usize; 3], Mismatch>;

/// All a layer does. Every method but [`Op::kind`] and [`Op::shape`] has the default of a
/// layer without parameters that takes one input.
pub(crate) trait Op {
    /// A short name of its kind, for messages and labels.
    fn kind(&self) -> &'static str;

    /// How many inputs it takes: `(at least, at most)`.
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }

    /// Its output shape `(c, h, w)` for inputs of shapes `ins` (as many as its arity allows).
    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult;

    /// Its parameter tensors' names, as suffixes of its name.
    fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        None
    }

    /// The shapes of its two parameter tensors for input `(c, h, w)`.
    fn param_shapes(&self, input: [usize; 3]) -> [Vec<usize>; 2] {
        [vec![input[0]], vec![input[0]]]
    }

    /// Multiply-adds of one image, for input `input` and output `out`.
    fn macs(&self, _input: [usize; 3], _out: [usize; 3]) -> u64 {
        0
    }

    /// Whether its output is its input's values (no kernel runs at inference).
    fn is_passthrough(&self) -> bool {
        false
    }

    /// The bound of its outputs given its inputs' (`crate::nn::bounds`): `(pre, out)`, where
    /// `pre` bounds every sum its kernel forms before its activation and `out` the outputs.
    fn bound(&self, _weights: &Weights, inputs: &[f64]) -> (f64, f64) {
        (inputs[0], inputs[0])
    }

    /// Records its forward dispatches.
    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()>;

    /// Records its backward dispatches: from its output's gradient to its parameters' and
    /// its inputs' gradients.
    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()>;

    /// Its forward pass on the CPU through the kernels' twins: the output, and the arg-max
    /// of a max-pool (empty for other layers).
    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>);

    /// Its backward pass on the CPU through the kernels' twins.
    fn twin_backward(&self, cx: &mut TwinBwd<'_>);
}

impl Layer {
    /// What the layer does.
    pub(crate) fn op(&self) -> &dyn Op {
        match self {
            Layer::Conv2d(l) => l,
            Layer::Pool(l) => l,
            Layer::GlobalAvgPool => &pool::GlobalAvgPool,
            Layer::Linear(l) => l,
            Layer::Relu => &act::Relu,
            Layer::Act(f) => f,
            Layer::Lrn(l) => l,
            Layer::Dropout(l) => l,
            Layer::Affine(l) => l,
            Layer::Add => &arith::Add,
            Layer::Mul => &arith::Mul,
            Layer::Concat => &concat::Concat,
            Layer::Reshape(l) => l,
            Layer::Pad(l) => l,
        }
    }

    /// A square convolution with one stride and the same padding on every side.
    pub fn conv(
        name: &str,
        out_c: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
        groups: usize,
        relu: bool,
    ) -> Layer {
        Layer::Conv2d(Conv2d {
            name: name.into(),
            out_c,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [pad; 4],
            dilation: [1; 2],
            groups,
            act: relu.into(),
        })
    }

    /// Caffe's max-pooling: a square window, one stride, the output size rounded up.
    pub fn caffe_max_pool(kernel: usize, stride: usize) -> Layer {
        Layer::Pool(Pool {
            kind: PoolKind::Max,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [0; 4],
            ceil: true,
        })
    }

    /// The layer's parameter tensors' names, as suffixes of its name.
    pub(crate) fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        self.op().param_names()
    }

    /// How many inputs it takes: `(at least, at most)`.
    pub(crate) fn arity(&self) -> (usize, usize) {
        self.op().arity()
    }

    /// Whether its output is its input's values (no kernel runs at inference).
    pub fn is_passthrough(&self) -> bool {
        self.op().is_passthrough()
    }

    /// A short name of its kind, for messages and labels.
    pub fn kind(&self) -> &'static str {
        self.op().kind()
    }
}

/// The per-channel broadcast of `len` elements of shape `(c, h, w)` per image.
fn channels(len: usize, [c, h, w]: [usize; 3]) -> crate::kernels::Broadcast {
    crate::kernels::Broadcast {
        n: len,
        inner: h * w,
        b_len: c,
    }
}
