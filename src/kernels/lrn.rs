//! Launcher of `lrn_fwd` (shaders/lrn.wgsl).

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// Shape and constants of an LRN across channels: `(batch, channels, spatial)` activations,
/// windows of `size` channels, `y = x · (k + α/size · Σ x²)^(−β)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrnShape {
    pub batch: usize,
    pub channels: usize,
    pub spatial: usize,
    pub size: usize,
    pub alpha: f32,
    pub beta: f32,
    pub k: f32,
}

impl LrnShape {
    pub fn len(&self) -> usize {
        self.batch * self.channels * self.spatial
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The channels `[lo, hi)` whose squares normalise channel `c` (Caffe's window: `(size −
    /// 1) / 2` before, `size / 2` after).
    pub fn window(&self, c: usize) -> (usize, usize) {
        (
            c.saturating_sub((self.size - 1) / 2),
            (c + self.size / 2 + 1).min(self.channels),
        )
    }
    pub(super) fn validate(&self, kernel: &str) -> Result<()> {
        let positive = |v: f32| v.is_finite() && v > 0.0;
        if self.size == 0
            || !positive(self.k)
            || !(self.alpha == 0.0 || positive(self.alpha))
            || !self.beta.is_finite()
        {
            return Err(bad_shape(
                kernel,
                "constants",
                "size > 0, k > 0, alpha >= 0, finite beta",
                format!("{self:?}"),
            ));
        }
        Ok(())
    }
}

params! {
    pub(super) struct Params for [Lrn, LrnBwd] {
        pub(super) batch: u32,
        pub(super) channels: u32,
        pub(super) spatial: u32,
        pub(super) size: u32,
        pub(super) alpha: f32,
        pub(super) beta: f32,
        pub(super) k: f32,
        pub(super) _pad: u32,
    }
}

pub(super) fn params(s: &LrnShape) -> Params {
    Params {
        batch: s.batch as u32,
        channels: s.channels as u32,
        spatial: s.spatial as u32,
        size: s.size as u32,
        alpha: s.alpha,
        beta: s.beta,
        k: s.k,
        _pad: 0,
    }
}

/// `y = lrn(x)`, both `(batch, channels, spatial)`.
pub fn lrn_fwd(gpu: &Gpu, s: &LrnShape, x: View<'_>, y: View<'_>) -> Result<Dispatch> {
    const K: &str = "lrn_fwd";
    s.validate(K)?;
    check_len(K, "x", x.len, s.len())?;
    check_len(K, "y", y.len, s.len())?;
    let grid = grid_for(gpu, K, s.len().div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Lrn, K, &[]),
        &[("x", x), ("y", y)],
        &params(s),
        grid,
    )
}
