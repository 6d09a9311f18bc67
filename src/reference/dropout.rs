//! Twin of `shaders/dropout.wgsl`.

/// Twin of `dropout` (in place), at training step `step`.
pub fn dropout(m: &crate::kernels::DropoutMask, step: u32, x: &mut [f32]) {
    for (i, v) in x.iter_mut().enumerate() {
        let keep = crate::evo::rng::uniform01(m.seed, step, m.stream, i as u32, 9) >= m.p;
        *v = if keep { *v / (1.0 - m.p) } else { 0.0 };
    }
}
