//! Twin of `shaders/add.wgsl`.

/// Twin of `add_inplace`.
pub fn add_inplace(x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += x;
    }
}
