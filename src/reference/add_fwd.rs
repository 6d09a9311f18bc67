//! Twin of `shaders/add_fwd.wgsl`.

/// Twin of `add_fwd`.
pub fn add_fwd(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(&a, &b)| a + b).collect()
}
