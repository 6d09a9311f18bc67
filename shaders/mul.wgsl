// mul_fwd: y = a · b, element-wise, with b broadcast: element i of a meets element
// (i / inner) % b_len of b. inner = 1, b_len = n: the same shape; inner = h·w, b_len =
// batch·c: one factor per image and channel (squeeze-excitation's (N, C, 1, 1) gate);
// inner = h·w, b_len = c: one per channel (a constant (1, C, 1, 1) scale, and the backward
// pass of affine_fwd).
//
// a: (n) f32     b: (b_len) f32     y: (n) f32
// One invocation per element.

struct Params {
    n: u32, inner: u32, b_len: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn mul_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        y[i] = a[i] * b[(i / p.inner) % p.b_len];
    }
}
