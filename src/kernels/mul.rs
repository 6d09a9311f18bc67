//! Launcher of `mul_fwd` (shaders/mul.wgsl), and the broadcast it and `mul_bwd_b` share.

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// How `b` meets `a` in `y = a · b`: element `i` of `a` (of `n`) takes element
/// `(i / inner) % b_len` of `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast {
    pub n: usize,
    pub inner: usize,
    pub b_len: usize,
}

impl Broadcast {
    /// The same shape on both sides.
    pub fn same(n: usize) -> Broadcast {
        Broadcast {
            n,
            inner: 1,
            b_len: n,
        }
    }

    pub(super) fn check(&self, kernel: &str) -> Result<()> {
        if self.inner == 0 || self.b_len == 0 || !self.n.is_multiple_of(self.inner) {
            return Err(bad_shape(
                kernel,
                "broadcast",
                "inner > 0 dividing n, b_len > 0",
                format!("{self:?}"),
            ));
        }
        Ok(())
    }
}

params! {
    /// The params of `mul_fwd` and `mul_bwd_b`.
    pub(super) struct MulParams for [Mul, MulBwd] {
        pub(super) n: u32,
        pub(super) inner: u32,
        pub(super) b_len: u32,
        pub(super) _pad: u32,
    }
}

impl MulParams {
    pub(super) fn new(s: &Broadcast) -> MulParams {
        MulParams {
            n: s.n as u32,
            inner: s.inner as u32,
            b_len: s.b_len as u32,
            _pad: 0,
        }
    }
}

/// `y = a · b` with `b` broadcast as `s` says; also the gradient with respect to `a`
/// (`mul_fwd(dy, b)`).
pub fn mul_fwd(
    gpu: &Gpu,
    s: &Broadcast,
    a: View<'_>,
    b: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "mul_fwd";
    s.check(K)?;
    check_len(K, "a", a.len, s.n)?;
    check_len(K, "b", b.len, s.b_len)?;
    check_len(K, "y", y.len, s.n)?;
    let grid = grid_for(gpu, K, s.n.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Mul, K, &[]),
        &[("a", a), ("b", b), ("y", y)],
        &MulParams::new(s),
        grid,
    )
}
