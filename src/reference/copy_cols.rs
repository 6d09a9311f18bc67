//! Twin of `shaders/copy_cols.wgsl`.

/// Twin of `copy_cols` (into `dst` in place).
pub fn copy_cols(s: &crate::kernels::Cols, src: &[f32], dst: &mut [f32]) {
    for r in 0..s.rows {
        for c in 0..s.width {
            dst[r * s.dst_stride + s.dst_col + c] = src[r * s.src_stride + s.src_col + c];
        }
    }
}
