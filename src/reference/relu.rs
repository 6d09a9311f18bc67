//! Twin of `shaders/relu.wgsl`.

/// Twin of `relu_fwd` (in place).
pub fn relu_fwd(data: &mut [f32]) {
    for v in data {
        *v = v.max(0.0);
    }
}
