//! Twin of `shaders/sgd.wgsl`.

/// Twin of `sgd_update` (in place on `w` and `v`); `hyper` = `[lr, momentum, decay]`.
pub fn sgd_update(
    lr_mult: f32,
    decay_mult: f32,
    g: &[f32],
    hyper: [f32; 3],
    w: &mut [f32],
    v: &mut [f32],
) {
    let (lr, momentum, decay) = (hyper[0] * lr_mult, hyper[1], hyper[2] * decay_mult);
    for i in 0..w.len() {
        let step = momentum * v[i] + lr * (g[i] + decay * w[i]);
        v[i] = step;
        w[i] -= step;
    }
}
