//! Launcher of `gather_batch` (shaders/gather.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct Params for [Gather] {
        pub(super) batch: u32,
        pub(super) pixels: u32,
        pub(super) scale: f32,
        pub(super) _pad: u32,
    }
}

/// Packs 8-bit pixels 4 to a u32, little-endian, as `gather_batch` reads them.
pub fn pack_bytes(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| c.iter().rev().fold(0u32, |acc, &b| (acc << 8) | b as u32))
        .collect()
}

/// `x[b, :]` = pixels of image `idx[b]` of `data` (packed by [`pack_bytes`]) × `scale`, and
/// `label_out[b] = labels[idx[b]]`.
#[allow(clippy::too_many_arguments)]
pub fn gather_batch(
    gpu: &Gpu,
    pixels: usize,
    scale: f32,
    data: View<'_>,
    labels: View<'_>,
    idx: View<'_>,
    x: View<'_>,
    label_out: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "gather_batch";
    let batch = idx.len;
    check_len(K, "data words", data.len, (labels.len * pixels).div_ceil(4))?;
    check_len(K, "x", x.len, batch * pixels)?;
    check_len(K, "label_out", label_out.len, batch)?;
    let grid = grid_for(gpu, K, (batch * pixels).div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Gather, K, &[]),
        &[
            ("data", data),
            ("labels", labels),
            ("idx", idx),
            ("x", x),
            ("label_out", label_out),
        ],
        &Params {
            batch: batch as u32,
            pixels: pixels as u32,
            scale,
            _pad: 0,
        },
        grid,
    )
}
