// affine_fwd: y = x · s[c] + t[c], one scale and shift per channel c = (i / inner) % c_len
// (inner = h·w): a batch normalisation at inference that no convolution could absorb, and
// constant per-channel scales and offsets. (Its gradient with respect to x is
// mul_fwd(dy, s) with the same inner and b_len = c_len.)
//
// x: (n) f32     s: (c_len) f32     t: (c_len) f32     y: (n) f32
// One invocation per element.

struct Params {
    n: u32, inner: u32, c_len: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn affine_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        let c = (i / p.inner) % p.c_len;
        y[i] = x[i] * s[c] + t[c];
    }
}
