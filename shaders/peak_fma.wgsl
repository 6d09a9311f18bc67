// peak_fma: the adapter's arithmetic ceiling, for the benches to hold every kernel against.
// Each invocation runs `iterations` rounds of four independent vec4 multiply-adds in
// registers (8 FLOP per lane and round, 128 per round), a recurrence a = a * m + c that
// stays bounded (|m| < 1), and writes the sum of its accumulators so nothing is dropped.
//
// out: (invocations) f32
// One invocation per output; 256 per workgroup.

struct Params {
    n: u32, iterations: u32, m: f32, c: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn peak_fma(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.n {
        return;
    }
    let s = f32(i % 1024u) * 0.001;
    var a0 = vec4<f32>(s, s + 0.1, s + 0.2, s + 0.3);
    var a1 = a0 + 0.4;
    var a2 = a0 + 0.8;
    var a3 = a0 + 1.2;
    let m = vec4<f32>(p.m);
    let c = vec4<f32>(p.c);
    for (var k = 0u; k < p.iterations; k++) {
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
    }
    let t = a0 + a1 + a2 + a3;
    out[i] = t.x + t.y + t.z + t.w;
}
