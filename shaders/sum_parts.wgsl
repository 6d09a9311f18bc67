// sum_parts: y[i] = sum over s < parts of x[s n + i] (partial sums of a product split along
// its sum, added in a fixed order so the result does not depend on the dispatch).
//
// x: (parts, n) f32     y: (n) f32

struct Params {
    n: u32, parts: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn sum_parts(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        var acc = 0.0;
        for (var s = 0u; s < p.parts; s++) {
            acc += x[s * p.n + i];
        }
        y[i] = acc;
    }
}
