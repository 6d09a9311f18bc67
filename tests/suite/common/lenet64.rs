//! LeNet's forward in f64, for checks that must be sound for every seed: finite differences
//! free of f32 rounding, and how far an input lies from the nearest kink.
//!
//! In any one weight or pixel LeNet's logits are piecewise linear: they move on a line until
//! a max-pool's winner or a ReLU's side switches. Where every switch is far (a max-pool's two
//! largest inputs, a ReLU's input, at least [`MIN_MARGIN`] of their layer's RMS apart), the
//! device and the twins, whose f32 sums differ by far less, take the same side everywhere,
//! so their gradients can be compared element by element.

use fooling::nn::Weights;
use std::collections::BTreeMap;

/// The smallest distance from a switch, relative to its layer's RMS, at which the f32 device
/// and the twins certainly agree: their sums of at most 800 products differ by about 1e-6 of
/// that RMS.
pub const MIN_MARGIN: f64 = 1e-5;

/// Whether every max-pool and ReLU decision of LeNet with `weights` on `input` (images of
/// 784 values) lies [`MIN_MARGIN`] from its switch: where one does not, the f32 device and
/// the twins may route a gradient differently, and no comparison of their gradients holds.
pub fn far_from_switches(weights: &Weights, input: &[f32]) -> bool {
    let net = Lenet64::new(weights);
    input.chunks(784).all(|img| {
        let x: Vec<f64> = img.iter().map(|&v| v as f64).collect();
        net.forward(&x).1 >= MIN_MARGIN
    })
}

/// LeNet's weights in f64.
#[derive(Clone)]
pub struct Lenet64 {
    pub tensors: BTreeMap<String, Vec<f64>>,
}

impl Lenet64 {
    pub fn new(weights: &Weights) -> Self {
        let tensors = weights
            .tensors
            .iter()
            .map(|(k, t)| (k.clone(), t.data.iter().map(|&v| v as f64).collect()))
            .collect();
        Lenet64 { tensors }
    }

    fn t(&self, name: &str) -> &[f64] {
        &self.tensors[name]
    }

    /// The 10 logits of one `(1, 28, 28)` image, and its margin: the smallest gap between a
    /// max-pool window's two largest inputs, or from a ReLU's input to 0, relative to the RMS
    /// of the layer it lies in.
    pub fn forward(&self, img: &[f64]) -> (Vec<f64>, f64) {
        let c1 = conv5(img, 1, 28, self.t("conv1.weight"), self.t("conv1.bias"));
        let (p1, m1) = pool2(&c1, 20, 24);
        let c2 = conv5(&p1, 20, 12, self.t("conv2.weight"), self.t("conv2.bias"));
        let (p2, m2) = pool2(&c2, 50, 8);
        let z = dense(&p2, self.t("ip1.weight"), self.t("ip1.bias"));
        let m3 = z.iter().map(|v| v.abs()).fold(f64::INFINITY, f64::min) / rms(&z);
        let h: Vec<f64> = z.iter().map(|&v| v.max(0.0)).collect();
        let logits = dense(&h, self.t("ip2.weight"), self.t("ip2.bias"));
        (logits, m1.min(m2).min(m3))
    }

    /// `(batch, 10)` logits of `(batch, 1, 28, 28)` images.
    pub fn logits(&self, input: &[f32]) -> Vec<f64> {
        input
            .chunks(784)
            .flat_map(|img| {
                let x: Vec<f64> = img.iter().map(|&v| v as f64).collect();
                self.forward(&x).0
            })
            .collect()
    }
}

/// The slope of `f` (a vector of outputs, piecewise linear in its argument) at 0 by a central
/// difference, with per output how far a bend inside the step could move it: at the largest
/// step from 1e-3 down to 1e-7 over which every output lies on a line at five points (two
/// kinks can cancel in one second difference, not in three). None when a switch lies within
/// 1e-7.
pub fn slope(f: impl Fn(f64) -> Vec<f64>) -> Option<(Vec<f64>, Vec<f64>)> {
    let mid = f(0.0);
    [1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
        .into_iter()
        .find_map(|eps: f64| {
            let h = eps / 2.0;
            let p = [f(-eps), f(-h), mid.clone(), f(h), f(eps)];
            // per output, how far it bends: f64 rounding (1e-15 of a logit), or a switch
            let bend: Vec<f64> = (0..mid.len())
                .map(|j| {
                    (1..4)
                        .map(|k| (p[k + 1][j] - 2.0 * p[k][j] + p[k - 1][j]).abs())
                        .sum::<f64>()
                })
                .collect();
            if bend.iter().cloned().fold(0.0, f64::max) > 1e-11 {
                return None;
            }
            let slope = (0..mid.len()).map(|j| (p[3][j] - p[1][j]) / eps).collect();
            Some((slope, bend.iter().map(|b| b / eps).collect()))
        })
}

fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64)
        .sqrt()
        .max(1e-300)
}

/// A 5×5 valid convolution of `(c, s, s)` by `(out_c, c, 5, 5)` weights.
fn conv5(x: &[f64], c: usize, s: usize, w: &[f64], b: &[f64]) -> Vec<f64> {
    let o = s - 4;
    let mut y = Vec::with_capacity(b.len() * o * o);
    for (m, &bias) in b.iter().enumerate() {
        for oy in 0..o {
            for ox in 0..o {
                let mut acc = bias;
                for ci in 0..c {
                    for ky in 0..5 {
                        let xr = &x[(ci * s + oy + ky) * s + ox..][..5];
                        let wr = &w[((m * c + ci) * 5 + ky) * 5..][..5];
                        acc += xr.iter().zip(wr).map(|(a, b)| a * b).sum::<f64>();
                    }
                }
                y.push(acc);
            }
        }
    }
    y
}

/// A 2×2, stride 2 max-pool of `(c, s, s)`, and the smallest gap between a window's two
/// largest inputs relative to the RMS of `x`, exact ties aside.
fn pool2(x: &[f64], c: usize, s: usize) -> (Vec<f64>, f64) {
    let o = s / 2;
    let mut y = Vec::with_capacity(c * o * o);
    let mut gap = f64::INFINITY;
    for ci in 0..c {
        for oy in 0..o {
            for ox in 0..o {
                let at = |dy, dx| x[(ci * s + 2 * oy + dy) * s + 2 * ox + dx];
                let mut w = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
                w.sort_by(|a, b| b.total_cmp(a));
                // an exact tie comes from identical inputs (a digit's blank background),
                // which the device sums identically too and breaks the same way
                if w[0] > w[1] {
                    gap = gap.min(w[0] - w[1]);
                }
                y.push(w[0]);
            }
        }
    }
    (y, gap / rms(x))
}

/// `w · x + b` with `(out, in)` weights.
fn dense(x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
    b.iter()
        .enumerate()
        .map(|(m, &bias)| {
            bias + w[m * x.len()..][..x.len()]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        })
        .collect()
}
