// mul_bwd_b: the gradient of mul_fwd (y = a · b, b broadcast over `inner` consecutive
// elements of a, b_len · inner = n) with respect to b: db[j] = Σ_k dy[j inner + k] a[j inner + k].
// (The gradient with respect to a is mul_fwd(dy, b).)
//
// dy: (n) f32     a: (n) f32     db: (b_len) f32
// One invocation per element of b.

struct Params {
    n: u32, inner: u32, b_len: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn mul_bwd_b(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let j = (wid.x + wid.y * nwg.x) * 256u + li;
    if j >= p.b_len {
        return;
    }
    var acc = 0.0;
    let base = j * p.inner;
    for (var k = 0u; k < p.inner; k++) {
        acc += dy[base + k] * a[base + k];
    }
    db[j] = acc;
}
