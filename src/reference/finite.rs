//! Twin of `shaders/finite.wgsl`.

/// Twin of `finite_check`: whether `x` holds an infinite or NaN element.
pub fn finite_check(x: &[f32]) -> bool {
    x.iter().any(|v| !v.is_finite())
}
