//! Twin of `shaders/relu_bwd.wgsl`.

/// Twin of `relu_bwd` (in place on `dy`) for a ReLU capped at `cap`.
pub fn relu_bwd(cap: f32, y: &[f32], dy: &mut [f32]) {
    let cap = cap.min(f32::MAX);
    for (d, &v) in dy.iter_mut().zip(y) {
        if v <= 0.0 || v >= cap {
            *d = 0.0;
        }
    }
}
