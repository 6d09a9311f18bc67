//! Launcher of `mul_bwd_b` (shaders/mul_bwd.wgsl).

use super::mul::{Broadcast, MulParams};
use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The gradient of [`super::mul_fwd`] with respect to `b`, for a broadcast that covers `a`
/// once (`b_len · inner = n`): `db[j] = Σ_k dy[j·inner + k] · a[j·inner + k]`.
pub fn mul_bwd_b(
    gpu: &Gpu,
    s: &Broadcast,
    dy: View<'_>,
    a: View<'_>,
    db: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "mul_bwd_b";
    s.check(K)?;
    if s.b_len * s.inner != s.n {
        return Err(bad_shape(
            K,
            "broadcast",
            "b_len × inner = n",
            format!("{s:?}"),
        ));
    }
    check_len(K, "dy", dy.len, s.n)?;
    check_len(K, "a", a.len, s.n)?;
    check_len(K, "db", db.len, s.b_len)?;
    let grid = grid_for(gpu, K, s.b_len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::MulBwd, K, &[]),
        &[("dy", dy), ("a", a), ("db", db)],
        &MulParams::new(s),
        grid,
    )
}
