// Local response normalisation across channels (Caffe's ACROSS_CHANNELS, docs/paper.md §5):
//
//   scale[n, c, s] = k + (alpha / size) * sum of x[n, j, s]^2 over j in [c - (size-1)/2, c + size/2]
//                    (channels outside [0, C) count as zeros)
//   y[n, c, s]     = x[n, c, s] * scale[n, c, s]^(-beta)
//
// x, y: (batch, C, spatial) f32, spatial = H * W. One invocation per element.

struct Params {
    batch: u32, channels: u32, spatial: u32, size: u32,
    alpha: f32, beta: f32, k: f32, _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

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
fn lrn_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = index(wid, nwg, li);
    if i >= p.batch * p.channels * p.spatial {
        return;
    }
    let s = i % p.spatial;
    let c = (i / p.spatial) % p.channels;
    let base = (i / (p.spatial * p.channels)) * p.channels * p.spatial + s;
    y[i] = x[i] * pow(scale_at(base, c), -p.beta);
}

