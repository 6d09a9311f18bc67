//! Twin of `shaders/relu_bwd.wgsl`.

/// Twin of `relu_bwd` (in place on `dy`).
pub fn relu_bwd(y: &[f32], dy: &mut [f32]) {
    for (d, &v) in dy.iter_mut().zip(y) {
        if v <= 0.0 {
            *d = 0.0;
        }
    }
}
