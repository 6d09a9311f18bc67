// augment: data augmentation of a training batch on the device. Each image gets its own
// random similarity transform (a shift, a rotation and a scaling), drawn from the counter
// hash shared with the host, so a training run depends only on its seed and the CPU twin
// draws the same warps.
//
// x:    (batch, c, h, w) f32, the gathered batch
// y:    (batch, c, h, w) f32, the warped batch (the network's input)
// step: (1) u32, the training iteration (rewritten by the trainer every iteration)
//
// Image b's warp: u_k = uniform01(seed, step, b, k, 10) for k = 0..3, then
//   angle = (2 u_0 - 1) max_rot (radians), s = 1 + (2 u_1 - 1) max_scale,
//   t = ((2 u_2 - 1) max_shift, (2 u_3 - 1) max_shift) (pixels).
// Pixel centres sit at integer coordinates and the image's centre at m = ((w-1)/2, (h-1)/2).
// Output pixel o samples x bilinearly at  m + R(-angle) (o - m - t) / s,  reading 0 outside
// the image (the background of MNIST-like data): the image is rotated by angle, scaled by
// s about its centre, then shifted by t. All channels of an image share its warp.

struct Params {
    batch: u32, channels: u32, h: u32, w: u32,
    seed: u32, _pad0: u32, _pad1: u32, _pad2: u32,
    max_shift: f32, max_rot: f32, max_scale: f32, _pad3: f32,
}

@group(0) @binding(0) var<storage, read> step: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// hash and uniform01: shaders/include/counter_hash.wgsl, appended.

// x[plane + (iy, ix)], or 0 outside the image
fn tap(plane: u32, iy: i32, ix: i32) -> f32 {
    let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
    let at = i32(plane) + iy * i32(p.w) + ix;
    return select(0.0, x[u32(max(at, 0))], inside);
}

@compute @workgroup_size(256)
fn augment(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let hw = p.h * p.w;
    if i >= p.batch * p.channels * hw {
        return;
    }
    let b = i / (p.channels * hw);
    let plane = i - i % hw;
    let r = i % hw;
    let s = step[0];
    let angle = (2.0 * uniform01(p.seed, s, b, 0u, 10u) - 1.0) * p.max_rot;
    let scale = 1.0 + (2.0 * uniform01(p.seed, s, b, 1u, 10u) - 1.0) * p.max_scale;
    let tx = (2.0 * uniform01(p.seed, s, b, 2u, 10u) - 1.0) * p.max_shift;
    let ty = (2.0 * uniform01(p.seed, s, b, 3u, 10u) - 1.0) * p.max_shift;
    let mx = 0.5 * f32(p.w - 1u);
    let my = 0.5 * f32(p.h - 1u);
    let dx = (f32(r % p.w) - mx - tx) / scale;
    let dy = (f32(r / p.w) - my - ty) / scale;
    let c = cos(angle);
    let sn = sin(angle);
    // R(-angle) (dx, dy)
    let sx = mx + c * dx + sn * dy;
    let sy = my - sn * dx + c * dy;
    let fx = floor(sx);
    let fy = floor(sy);
    let ax = sx - fx;
    let ay = sy - fy;
    let ix = i32(fx);
    let iy = i32(fy);
    let top = mix(tap(plane, iy, ix), tap(plane, iy, ix + 1), ax);
    let bottom = mix(tap(plane, iy + 1, ix), tap(plane, iy + 1, ix + 1), ax);
    y[i] = mix(top, bottom, ay);
}
