//! Launcher of `copy_cols` (shaders/copy_cols.wgsl).

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// A block of `width` columns of two row-major matrices with `rows` rows: which columns of
/// which layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cols {
    pub rows: usize,
    pub width: usize,
    pub src_stride: usize,
    pub src_col: usize,
    pub dst_stride: usize,
    pub dst_col: usize,
}

params! {
    pub(super) struct ColsParams for [CopyCols] {
        pub(super) rows: u32,
        pub(super) width: u32,
        pub(super) src_stride: u32,
        pub(super) src_col: u32,
        pub(super) dst_stride: u32,
        pub(super) dst_col: u32,
        pub(super) _pad: [u32; 2],
    }
}

/// `dst[r, dst_col + c] = src[r, src_col + c]` for `r < rows`, `c < width`.
pub fn copy_cols(gpu: &Gpu, s: &Cols, src: View<'_>, dst: View<'_>) -> Result<Dispatch> {
    const K: &str = "copy_cols";
    check_len(K, "src (rows × src_stride)", src.len, s.rows * s.src_stride)?;
    check_len(K, "dst (rows × dst_stride)", dst.len, s.rows * s.dst_stride)?;
    if s.src_col + s.width > s.src_stride || s.dst_col + s.width > s.dst_stride {
        return Err(bad_shape(
            K,
            "columns",
            "src_col + width <= src_stride and dst_col + width <= dst_stride",
            format!("{s:?}"),
        ));
    }
    let grid = grid_for(gpu, K, (s.rows * s.width).div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::CopyCols, K, &[]),
        &[("src", src), ("dst", dst)],
        &ColsParams {
            rows: s.rows as u32,
            width: s.width as u32,
            src_stride: s.src_stride as u32,
            src_col: s.src_col as u32,
            dst_stride: s.dst_stride as u32,
            dst_col: s.dst_col as u32,
            _pad: [0; 2],
        },
        grid,
    )
}
