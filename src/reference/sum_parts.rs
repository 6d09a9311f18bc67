//! Twin of `shaders/sum_parts.wgsl`.

/// Twin of `sum_parts`: `x` `(parts, n)` summed over its parts, in order, into `(n)`.
pub fn sum_parts(parts: usize, x: &[f32]) -> Vec<f32> {
    let n = x.len() / parts.max(1);
    (0..n)
        .map(|i| (0..parts).map(|s| x[s * n + i]).fold(0.0f32, |a, v| a + v))
        .collect()
}
