// peak_gather: the ceiling of a kernel shaped like the direct convolution
// (conv2d_fwd_direct): each round reads 4 values that vary with the invocation (its input
// pixels) and 4 that vary with the invocation's row of 16 (its weights), from a storage
// table, and does 4 vec4 multiply-adds of them into 4 accumulators: 8 loads per 32 FLOP per
// lane, as the convolution's inner loop. What this reaches is what that access pattern
// allows on the adapter, whatever its arithmetic peak (peak_fma).
//
// table: (mask + 1) f32, mask + 1 a power of two
// out:   (n) f32, the sum of each invocation's accumulators
// One invocation per output; 256 per workgroup.

struct Params {
    n: u32, iterations: u32, mask: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn peak_gather(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.n {
        return;
    }
    let xo = i * 4u;
    let wo = (i / 16u) * 64u + 7u;
    var acc: array<vec4<f32>, 4>;
    for (var k = 0u; k < p.iterations; k++) {
        let a = xo + k * 16u;
        let xv = vec4<f32>(
            table[a & p.mask],
            table[(a + 1u) & p.mask],
            table[(a + 2u) & p.mask],
            table[(a + 3u) & p.mask],
        );
        let b = wo + k * 4u;
        for (var r = 0u; r < 4u; r++) {
            acc[r] += table[(b + r) & p.mask] * xv;
        }
    }
    let t = acc[0] + acc[1] + acc[2] + acc[3];
    out[i] = t.x + t.y + t.z + t.w;
}
