//! Twin of `shaders/finite.wgsl` and `shaders/finite_check4.wgsl`.

/// Twin of `finite_check`: whether `x` holds an infinite or NaN element, or one whose
/// magnitude is above `limit`.
pub fn finite_check(x: &[f32], limit: f32) -> bool {
    x.iter().any(|v| !v.is_finite() || v.abs() > limit)
}
