//! Launcher of `render_cppn` (shaders/render_cppn.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct CppnParams for [RenderCppn] {
        pub(super) batch: u32,
        pub(super) width: u32,
        pub(super) height: u32,
        pub(super) stride: u32,
        pub(super) max_nodes: u32,
        pub(super) outputs: u32,
        pub(super) first: u32,
        pub(super) _pad: u32,
    }
}

/// Renders compiled CPPNs `first ..` of `programs` (`(.., cap.stride())` u32), as many as
/// `genes` holds, into byte-valued genes `(batch, outputs, height, width)` (see
/// shaders/render_cppn.wgsl).
pub fn render_cppn(
    gpu: &Gpu,
    cap: crate::evo::cppn::Capacity,
    outputs: usize,
    (width, height): (usize, usize),
    programs: View<'_>,
    first: usize,
    genes: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_cppn";
    if cap.nodes > 64 || !(1..=3).contains(&outputs) {
        return Err(super::bad_shape(
            K,
            "capacity",
            "at most 64 nodes and 1 to 3 outputs",
            format!("{cap:?}, {outputs} outputs"),
        ));
    }
    let batch = genes.len / (outputs * width * height).max(1);
    check_len(K, "genes", genes.len, batch * outputs * width * height)?;
    if (first + batch) * cap.stride() > programs.len {
        return Err(super::bad_shape(
            K,
            "programs",
            "programs first .. first + batch",
            format!(
                "{} programs, first {first}, batch {batch}",
                programs.len / cap.stride()
            ),
        ));
    }
    let grid = grid_for(gpu, K, (batch * width * height).div_ceil(256) as u64)?;
    let params = CppnParams {
        batch: batch as u32,
        width: width as u32,
        height: height as u32,
        stride: cap.stride() as u32,
        max_nodes: cap.nodes as u32,
        outputs: outputs as u32,
        first: first as u32,
        _pad: 0,
    };
    launch(
        gpu,
        K,
        (Shader::RenderCppn, K, &[]),
        &[("programs", programs), ("genes", genes)],
        &params,
        grid,
    )
}
