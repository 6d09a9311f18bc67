//! Twin of `shaders/act.wgsl`.

use crate::kernels::Activation;

/// `f(v)` in f64, as act_fwd computes it in f32.
pub(super) fn act(f: Activation, v: f64) -> f64 {
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    match f {
        Activation::Relu => v.max(0.0),
        Activation::LeakyRelu { alpha } => {
            if v > 0.0 {
                v
            } else {
                alpha as f64 * v
            }
        }
        Activation::Clip { lo, hi } => v.max(lo as f64).min(hi as f64),
        Activation::Sigmoid => sigmoid(v),
        Activation::Tanh => v.clamp(-20.0, 20.0).tanh(),
        Activation::HardSigmoid { alpha, beta } => (alpha as f64 * v + beta as f64).clamp(0.0, 1.0),
        Activation::HardSwish => v * (v / 6.0 + 0.5).clamp(0.0, 1.0),
    }
}

/// Twin of `act_fwd`.
pub fn act_fwd(f: Activation, x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| act(f, v as f64) as f32).collect()
}
