// blur: one pass of a separable Gaussian blur of every channel of a batch of images, the
// supplementary regulariser of gradient ascent (blur every k steps).
//
// src:   (images, h, w) f32       dst: (images, h, w) f32 (written)
// mean:  (3, n) f32, n = channels * h * w: row 1 is the network's input offset, row 2 its
//        scale (as ascent_step's)
// input: (batch, n) f32: written in the vertical pass, (dst - offset) * scale
//
// dir 0 blurs along rows (x), dir 1 along columns (y). Weights exp(-k^2 / (2 sigma^2)) for
// |k| <= radius, normalised to sum 1; the border is extended (clamp to edge), so a
// constant image stays constant and values stay within the image's range.

struct Params {
    images: u32, h: u32, w: u32, radius: u32,
    dir: u32, n: u32, sigma: f32, _pad0: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> input: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn blur(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.images * p.h * p.w {
        return;
    }
    let x = i % p.w;
    let y = (i / p.w) % p.h;
    let plane = i - y * p.w - x;
    let r = i32(p.radius);
    var sum = 0.0;
    var weights = 0.0;
    for (var k = -r; k <= r; k++) {
        let wk = exp(-f32(k * k) / (2.0 * p.sigma * p.sigma));
        var j: u32;
        if p.dir == 0u {
            j = plane + y * p.w + u32(clamp(i32(x) + k, 0, i32(p.w) - 1));
        } else {
            j = plane + u32(clamp(i32(y) + k, 0, i32(p.h) - 1)) * p.w + x;
        }
        sum += wk * src[j];
        weights += wk;
    }
    let v = sum / weights;
    dst[i] = v;
    if p.dir == 1u {
        input[i] = (v - mean[p.n + i % p.n]) * mean[2u * p.n + i % p.n];
    }
}
