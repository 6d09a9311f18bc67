//! Twin of `shaders/act_bwd.wgsl`.

use crate::kernels::Activation;

/// `f'(v)`, PyTorch's one-sided choice at the kinks.
fn derivative(f: Activation, v: f64) -> f64 {
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    match f {
        Activation::Relu => (v > 0.0) as u8 as f64,
        Activation::LeakyRelu { alpha } => {
            if v > 0.0 {
                1.0
            } else {
                alpha as f64
            }
        }
        Activation::Clip { lo, hi } => (v > lo as f64 && v < hi as f64) as u8 as f64,
        Activation::Sigmoid => sigmoid(v) * (1.0 - sigmoid(v)),
        Activation::Tanh => 1.0 - v.tanh().powi(2),
        Activation::HardSigmoid { alpha, beta } => {
            let u = alpha as f64 * v + beta as f64;
            if u > 0.0 && u < 1.0 {
                alpha as f64
            } else {
                0.0
            }
        }
        Activation::HardSwish => {
            let u = v / 6.0 + 0.5;
            if u <= 0.0 {
                0.0
            } else if u >= 1.0 {
                1.0
            } else {
                v / 3.0 + 0.5
            }
        }
    }
}

/// Twin of `act_bwd`: `dy · f'(x)`.
pub fn act_bwd(f: Activation, x: &[f32], dy: &[f32]) -> Vec<f32> {
    x.iter()
        .zip(dy)
        .map(|(&v, &d)| (d as f64 * derivative(f, v as f64)) as f32)
        .collect()
}
