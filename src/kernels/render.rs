//! Launcher of `render_grey` (shaders/render.wgsl).

use super::{launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct RenderParams for [Render] {
        pub(super) n: u32,
        pub(super) inv_std: f32,
        pub(super) first: u32,
        pub(super) mean: f32,
    }
}

/// `x[i] = (floor(clamp(genes[first + i], 0, 1) · 255) − mean) · inv_std` for every element
/// of `x`, with `(mean, inv_std)` = `pixels`.
pub fn render_grey(
    gpu: &Gpu,
    (mean, inv_std): (f32, f32),
    genes: View<'_>,
    first: usize,
    x: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_grey";
    if first + x.len > genes.len {
        return Err(super::bad_shape(
            K,
            "genes",
            "first + x's length elements at least",
            format!("{} elements, first {first}, x {}", genes.len, x.len),
        ));
    }
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Render, K, &[]),
        &[("genes", genes), ("x", x)],
        &RenderParams {
            n: x.len as u32,
            inv_std,
            first: first as u32,
            mean,
        },
        grid,
    )
}
