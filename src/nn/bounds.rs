//! Which layers of a network cannot overflow, proved from its weights before it runs.
//!
//! A forward pass checks its activations for infinities and NaNs (an overflow that a later
//! ReLU or max-pool would hide). Reading every activation back costs about a fifth of a
//! MobileNetV2's forward pass on a CPU adapter, and for most layers of a trained network it
//! cannot find anything: carried through the network, a bound on the inputs gives a bound on
//! every activation (a convolution's outputs are at most `max Σ|w| · bound + max |b|`, a
//! ReLU6 caps them at 6, …), and a layer whose bound stays far below f32's largest value
//! cannot overflow (each layer's bound: its `Op::bound`). Such layers are not checked; every other one is, and so is the input,
//! against the bound the proof assumed. The bound covers every partial sum too: each is at
//! most the sum of its terms' magnitudes.

use super::{Arch, Weights};
use crate::kernels::{Activation, Fused};

/// What a proved bound must stay under: far below f32's largest value (3.4e38), so that
/// rounding (a relative error of n · 2⁻²⁴ for a sum of n terms) cannot carry it past.
const LIMIT: f64 = 1e30;

/// How far past the pixels' range an input may go and stay covered by the proof: inputs a
/// kernel prepares are pixels (rendered, or clamped to the range by gradient ascent), while a
/// caller of `Forward::run` may pass any values; those beyond are refused as an overflow of
/// the input.
const INPUT_MARGIN: f64 = 1024.0;

/// The proof for one network: the bound its inputs must keep, and for each node whether its
/// outputs cannot overflow for such inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounds {
    /// The largest magnitude of an input value the proof covers.
    pub input: f32,
    /// `safe[i]`: node i's outputs (and every sum that makes them) stay below [`LIMIT`].
    pub safe: Vec<bool>,
}

impl Bounds {
    /// The proof for `arch` with `weights` (checked against it when loaded).
    pub fn prove(arch: &Arch, weights: &Weights) -> Bounds {
        let pixels = (0..arch.input[0])
            .flat_map(|c| [0.0, 255.0].map(|p| arch.pixels.value(c, p).abs() as f64))
            .fold(1.0, f64::max);
        let input = pixels * INPUT_MARGIN;
        // the bound of each value: 0 the input, i + 1 node i's output; infinite where
        // nothing is proved (its node is checked as it runs, up to f32's largest value)
        let mut value = vec![input];
        let mut safe = Vec::with_capacity(arch.nodes.len());
        for node in &arch.nodes {
            let inputs: Vec<f64> = node.inputs.iter().map(|&v| value[v]).collect();
            let (pre, out) = node.layer.op().bound(weights, &inputs);
            safe.push(pre < LIMIT && out < LIMIT);
            value.push(if out < LIMIT { out } else { f64::INFINITY });
        }
        Bounds {
            input: input as f32,
            safe,
        }
    }
}

/// The magnitude of `v`, infinite for a NaN (which `f64::max` would otherwise skip).
pub(crate) fn mag(v: f32) -> f64 {
    if v.is_nan() {
        f64::INFINITY
    } else {
        (v as f64).abs()
    }
}

/// The largest magnitude of `t`'s elements.
pub(crate) fn max_abs(t: &[f32]) -> f64 {
    t.iter().fold(0.0, |m, &v| m.max(mag(v)))
}

/// The largest of `rows` rows of `w`'s sums of magnitudes.
pub(crate) fn max_row_sum(w: &[f32], rows: usize) -> f64 {
    let n = w.len() / rows.max(1);
    w.chunks(n.max(1))
        .map(|r| r.iter().map(|&v| mag(v)).sum::<f64>())
        .fold(0.0, f64::max)
}

/// A bound after a fused activation: a ReLU's cap, where it has one.
pub(crate) fn fused(act: Fused, pre: f64) -> f64 {
    match act {
        Fused::None => pre,
        Fused::Relu(cap) => pre.min(mag(cap)),
    }
}

/// The bound after activation `f` of values within `a`; infinite where a parameter is a NaN
/// (which may pass a clamp), or an infinity anywhere but a clip's bounds (∞ · 0 is a NaN).
pub(crate) fn activation(f: Activation, a: f64) -> f64 {
    let (_, p, q) = f.kind();
    let clip = matches!(f, Activation::Clip { .. });
    if p.is_nan() || q.is_nan() || (!clip && (!p.is_finite() || !q.is_finite())) {
        return f64::INFINITY;
    }
    match f {
        Activation::Relu => a,
        Activation::LeakyRelu { alpha } => a * mag(alpha).max(1.0),
        // the output is x where lo ≤ x ≤ hi, else lo or hi
        Activation::Clip { lo, hi } => {
            let (l, h) = (mag(lo), mag(hi));
            if lo <= hi {
                l.max(a.min(h))
            } else {
                l.max(h)
            }
        }
        Activation::Sigmoid | Activation::Tanh | Activation::HardSigmoid { .. } => 1.0,
        // x · a factor in [0, 1]
        Activation::HardSwish => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_follow_the_layers() {
        assert_eq!(fused(Fused::Relu(6.0), 1e9), 6.0);
        assert_eq!(fused(Fused::RELU, 1e9), 1e9);
        assert_eq!(max_row_sum(&[1.0, -2.0, 0.5, 0.5], 2), 3.0);
        assert_eq!(activation(Activation::Tanh, 1e40), 1.0);
        assert_eq!(activation(Activation::Clip { lo: 0.0, hi: 6.0 }, 2.0), 2.0);
        assert_eq!(activation(Activation::Clip { lo: -1.0, hi: 6.0 }, 1e9), 6.0);
        assert_eq!(activation(Activation::Clip { lo: 5.0, hi: 6.0 }, 1.0), 5.0);
        assert_eq!(activation(Activation::LeakyRelu { alpha: 3.0 }, 2.0), 6.0);
        // what is not a number bounds nothing
        assert_eq!(max_abs(&[1.0, f32::NAN]), f64::INFINITY);
        assert_eq!(max_row_sum(&[1.0, f32::NAN], 1), f64::INFINITY);
        assert_eq!(fused(Fused::Relu(f32::NAN), 1.0), 1.0);
        assert_eq!(
            activation(
                Activation::Clip {
                    lo: 0.0,
                    hi: f32::NAN
                },
                1.0
            ),
            f64::INFINITY
        );
    }
}
