//! Launcher of `act_fwd` (shaders/act.wgsl), and the activations it and `act_bwd` compute.

use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// An element-wise activation (the `KIND` of shaders/act.wgsl and act_bwd.wgsl).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x` where `x > 0`, else `alpha · x`.
    LeakyRelu {
        alpha: f32,
    },
    /// `min(max(x, lo), hi)` (ReLU6: 0, 6).
    Clip {
        lo: f32,
        hi: f32,
    },
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    Tanh,
    /// `min(max(alpha · x + beta, 0), 1)`.
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// `x · min(max(x / 6 + 1/2, 0), 1)`.
    HardSwish,
}

impl Activation {
    /// The shader's `KIND` and its parameters `(a, b)`.
    pub(crate) fn kind(self) -> (u32, f32, f32) {
        match self {
            Activation::Relu => (0, 0.0, 0.0),
            Activation::LeakyRelu { alpha } => (1, alpha, 0.0),
            Activation::Clip { lo, hi } => (2, lo, hi),
            Activation::Sigmoid => (3, 0.0, 0.0),
            Activation::Tanh => (4, 0.0, 0.0),
            Activation::HardSigmoid { alpha, beta } => (5, alpha, beta),
            Activation::HardSwish => (6, 1.0 / 6.0, 0.5),
        }
    }

    /// The ONNX operator that computes it.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "Relu",
            Activation::LeakyRelu { .. } => "LeakyRelu",
            Activation::Clip { .. } => "Clip",
            Activation::Sigmoid => "Sigmoid",
            Activation::Tanh => "Tanh",
            Activation::HardSigmoid { .. } => "HardSigmoid",
            Activation::HardSwish => "HardSwish",
        }
    }
}

params! {
    /// The params of `act_fwd` and `act_bwd`: the element count and the activation's
    /// parameters.
    pub(super) struct ActParams for [Act, ActBwd] {
        pub(super) n: u32,
        pub(super) a: f32,
        pub(super) b: f32,
        pub(super) _pad: u32,
    }
}

impl ActParams {
    pub(super) fn new(f: Activation, n: usize) -> (ActParams, f64) {
        let (kind, a, b) = f.kind();
        (
            ActParams {
                n: n as u32,
                a,
                b,
                _pad: 0,
            },
            kind as f64,
        )
    }
}

/// `y = f(x)`, element-wise; `x` and `y` of the same length, any shape.
pub fn act_fwd(gpu: &Gpu, f: Activation, x: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "act_fwd";
    super::check_len(K, "y", y.len, x.len)?;
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    let (params, kind) = ActParams::new(f, x.len);
    launch(
        gpu,
        K,
        (Shader::Act, K, &[("KIND", kind)]),
        &[("x", x), ("y", y)],
        &params,
        grid,
    )
}
