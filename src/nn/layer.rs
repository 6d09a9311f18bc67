//! The layers a network's graph is made of ([`Layer`]), and its nodes ([`Node`]): a layer
//! applied to earlier values.

use crate::kernels::{Activation, Fused};

/// One operation. Activations are NCHW; a [`Layer::Linear`] reads its input flattened in
/// (C, H, W) order, as Caffe and PyTorch do.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// Tensors `{name}.weight` `(out_c, in_c / groups, kh, kw)` and `{name}.bias`.
    Conv2d {
        name: String,
        out_c: usize,
        /// `(kh, kw)`.
        kernel: [usize; 2],
        /// `(sh, sw)`.
        stride: [usize; 2],
        /// `(top, left, bottom, right)`.
        pad: [usize; 4],
        /// `(dh, dw)`.
        dilation: [usize; 2],
        groups: usize,
        /// The activation fused into the outputs: none, a ReLU, or a capped ReLU (ReLU6).
        act: Fused,
    },
    /// Max or average pooling; the output size rounds up when `ceil` (Caffe's pooling,
    /// ONNX's `ceil_mode`). A global average pool is the window of the whole plane.
    Pool {
        kind: PoolKind,
        kernel: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 4],
        ceil: bool,
    },
    /// The mean of each channel's plane: `(c, h, w)` → `(c, 1, 1)`.
    GlobalAvgPool,
    /// Tensors `{name}.weight` `(out_f, in_f)` and `{name}.bias`.
    Linear {
        name: String,
        out_f: usize,
        /// The activation fused into the outputs, as a convolution's.
        act: Fused,
    },
    /// ReLU on its own, for a layer that cannot take it fused (in place where nothing else
    /// reads its input).
    Relu,
    /// Another element-wise activation.
    Act(Activation),
    /// Local response normalisation across `size` channels (Caffe's ACROSS_CHANNELS):
    /// `y = x · (k + α/size · Σ x²)^(−β)`.
    Lrn {
        size: usize,
        alpha: f32,
        beta: f32,
        k: f32,
    },
    /// Dropout with drop probability `p` while training; the identity at inference, which is
    /// how every forward pass here runs.
    Dropout { p: f32 },
    /// `y = x · scale[c] + shift[c]` per channel: tensors `{name}.scale` and `{name}.shift`
    /// `(c)` (a batch normalisation no convolution absorbed).
    Affine { name: String },
    /// The sum of two inputs of the same shape.
    Add,
    /// The product of two inputs: the same shape, or the second `(c, 1, 1)` (one factor per
    /// image and channel, as squeeze-excitation gates are).
    Mul,
    /// The inputs joined along the channels (the same height and width).
    Concat,
    /// The same values seen with another shape `(c, h, w)` of as many elements (a flatten
    /// is `(c·h·w, 1, 1)`).
    Reshape([usize; 3]),
    /// A constant `value` around each plane: `(top, left, bottom, right)` rows and columns
    /// (ONNX's Pad where no convolution after it takes it into its own padding).
    Pad { pad: [usize; 4], value: f32 },
}

/// What a [`Layer::Pool`] takes of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    /// The mean; the divisor counts the padding inside the window when `count_pad`.
    Avg {
        count_pad: bool,
    },
}

impl Layer {
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
        Layer::Conv2d {
            name: name.into(),
            out_c,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [pad; 4],
            dilation: [1; 2],
            groups,
            act: relu.into(),
        }
    }

    /// Caffe's max-pooling: a square window, one stride, the output size rounded up.
    pub fn caffe_max_pool(kernel: usize, stride: usize) -> Layer {
        Layer::Pool {
            kind: PoolKind::Max,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [0; 4],
            ceil: true,
        }
    }

    /// The layer's parameter tensors' names, as suffixes of its name.
    pub(super) fn param_names(&self) -> Option<(&str, [&'static str; 2])> {
        match self {
            Layer::Conv2d { name, .. } | Layer::Linear { name, .. } => {
                Some((name, ["weight", "bias"]))
            }
            Layer::Affine { name } => Some((name, ["scale", "shift"])),
            _ => None,
        }
    }

    /// How many inputs it takes: `(at least, at most)`.
    pub(super) fn arity(&self) -> (usize, usize) {
        match self {
            Layer::Add | Layer::Mul => (2, 2),
            Layer::Concat => (1, usize::MAX),
            _ => (1, 1),
        }
    }

    /// Whether its output is its input's values (no kernel runs at inference).
    pub fn is_passthrough(&self) -> bool {
        matches!(self, Layer::Dropout { .. } | Layer::Reshape(_))
    }

    /// A short name of its kind, for messages and labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv2d { .. } => "conv",
            Layer::Pool {
                kind: PoolKind::Max,
                ..
            } => "maxpool",
            Layer::Pool { .. } => "avgpool",
            Layer::GlobalAvgPool => "gap",
            Layer::Linear { .. } => "fc",
            Layer::Relu => "relu",
            Layer::Act(_) => "act",
            Layer::Lrn { .. } => "lrn",
            Layer::Dropout { .. } => "dropout",
            Layer::Affine { .. } => "affine",
            Layer::Add => "add",
            Layer::Mul => "mul",
            Layer::Concat => "concat",
            Layer::Reshape(_) => "reshape",
            Layer::Pad { .. } => "pad",
        }
    }
}

/// One node of a network's graph: `layer` applied to the values `inputs`. Value 0 is the
/// network's input, value `k + 1` the output of node `k`; a node reads only earlier values.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub layer: Layer,
    pub inputs: Vec<usize>,
}
