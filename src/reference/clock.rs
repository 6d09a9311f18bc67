//! Twin of `shaders/clock.wgsl`.

/// Twin of `clock_step`.
pub fn clock_step(clock: &mut [u32], by: u32) {
    clock[0] = clock[0].wrapping_add(by);
}
