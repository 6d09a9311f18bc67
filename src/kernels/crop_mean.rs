//! Launcher of `crop_mean` (shaders/crop_mean.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct MeanParams for [CropMean] {
        pub(super) items: u32,
        pub(super) crops: u32,
        pub(super) classes: u32,
        pub(super) first: u32,
    }
}

/// `out[first + i, :]` = the mean of rows `i · crops .. (i + 1) · crops` of `probs`
/// `(items · crops, classes)`, for every item (see shaders/crop_mean.wgsl).
pub fn crop_mean(
    gpu: &Gpu,
    crops: usize,
    classes: usize,
    probs: View<'_>,
    first: usize,
    out: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "crop_mean";
    let items = probs.len / (crops * classes).max(1);
    check_len(K, "probs", probs.len, items * crops * classes)?;
    if (first + items) * classes > out.len {
        return Err(super::bad_shape(
            K,
            "out",
            "rows first .. first + items",
            format!(
                "{} rows, first {first}, items {items}",
                out.len / classes.max(1)
            ),
        ));
    }
    let grid = grid_for(gpu, K, (items * classes).div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::CropMean, K, &[]),
        &[("probs", probs), ("out", out)],
        &MeanParams {
            items: items as u32,
            crops: crops as u32,
            classes: classes as u32,
            first: first as u32,
        },
        grid,
    )
}
