//! Launcher of `affine_fwd` (shaders/affine.wgsl).

use super::mul::Broadcast;
use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct AffineParams for [Affine] {
        pub(super) n: u32,
        pub(super) inner: u32,
        pub(super) c_len: u32,
        pub(super) _pad: u32,
    }
}

/// `y = x · s[c] + t[c]` per channel `c = (i / inner) % c_len` (`s` gives the broadcast:
/// `b_len` is the channel count); its gradient with respect to `x` is
/// `mul_fwd(dy, s)` with the same broadcast.
pub fn affine_fwd(
    gpu: &Gpu,
    s: &Broadcast,
    x: View<'_>,
    scale: View<'_>,
    shift: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "affine_fwd";
    s.check(K)?;
    check_len(K, "x", x.len, s.n)?;
    check_len(K, "scale", scale.len, s.b_len)?;
    check_len(K, "shift", shift.len, s.b_len)?;
    check_len(K, "y", y.len, s.n)?;
    let grid = grid_for(gpu, K, s.n.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Affine, K, &[]),
        &[("x", x), ("scale", scale), ("shift", shift), ("y", y)],
        &AffineParams {
            n: s.n as u32,
            inner: s.inner as u32,
            c_len: s.b_len as u32,
            _pad: 0,
        },
        grid,
    )
}
