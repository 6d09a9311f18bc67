// lrn_bwd: the gradient of lrn_fwd (shaders/lrn.wgsl), whose formula it repeats:
//   scale[c] = k + (alpha / size) * sum of x[j]^2 over j in [c - (size-1)/2, c + size/2]
//   y[c]     = x[c] * scale[c]^(-beta)
// With W(j) the channels whose window holds channel j (the same window, mirrored):
//   dx[j] = dy[j] * scale[j]^(-beta)
//           - (2 alpha beta / size) * x[j] * sum over c in W(j) of dy[c] * x[c] * scale[c]^(-beta-1)
// The scales are recomputed from x, so the forward pass keeps no extra buffer.
//
// x, dy, dx: (batch, C, spatial) f32. One invocation per element.

struct Params {
    batch: u32, channels: u32, spatial: u32, size: u32,
    alpha: f32, beta: f32, k: f32, _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// The window of channel c: [lo, hi).
fn window(c: u32) -> vec2<u32> {
    let lo = u32(max(i32(c) - i32((p.size - 1u) / 2u), 0));
    let hi = min(c + p.size / 2u + 1u, p.channels);
    return vec2<u32>(lo, hi);
}

// scale at channel c of the plane column starting at `base` (element (n, 0, s)).
fn scale_at(base: u32, c: u32) -> f32 {
    let w = window(c);
    var sum = 0.0;
    for (var j = w.x; j < w.y; j++) {
        let v = x[base + j * p.spatial];
        sum += v * v;
    }
    return p.k + p.alpha / f32(p.size) * sum;
}

fn index(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
    return (wid.x + wid.y * nwg.x) * 256u + li;
}

@compute @workgroup_size(256)
fn lrn_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = index(wid, nwg, li);
    if i >= p.batch * p.channels * p.spatial {
        return;
    }
    let s = i % p.spatial;
    let j = (i / p.spatial) % p.channels;
    let base = (i / (p.spatial * p.channels)) * p.channels * p.spatial + s;
    // the channels whose window holds j: [j - size/2, j + (size-1)/2]
    let lo = u32(max(i32(j) - i32(p.size / 2u), 0));
    let hi = min(j + (p.size - 1u) / 2u + 1u, p.channels);
    var acc = 0.0;
    for (var c = lo; c < hi; c++) {
        let e = base + c * p.spatial;
        acc += dy[e] * x[e] * pow(scale_at(base, c), -p.beta - 1.0);
    }
    dx[i] = dy[i] * pow(scale_at(base, j), -p.beta)
        - 2.0 * p.alpha * p.beta / f32(p.size) * x[i] * acc;
}
