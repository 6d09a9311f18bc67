// finite_check4: `finite_check` (finite.wgsl) for n a multiple of 4, with x bound as vec4s:
// one invocation per 16 elements, four vec4 loads a lane (each at a stride of the
// workgroup, so a workgroup reads one contiguous block), one atomic at most. On a CPU adapter
// a load whose index differs between lanes costs a load per lane, so a vec4 load checks four
// elements for the price of one.
//
// x: (n / 4) vec4<f32>     flags: (slots) u32, set to 1 when marked, never cleared here

struct Params {
    n: u32, slot: u32, limit: f32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> p: Params;

const EXP: vec4<u32> = vec4<u32>(0x7f800000u);

@compute @workgroup_size(256)
fn finite_check4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let n4 = p.n / 4u;
    let base = (wid.x + wid.y * nwg.x) * 1024u + li;
    var bad = false;
    for (var k = 0u; k < 4u; k++) {
        let i = base + k * 256u;
        if i < n4 {
            let v = x[i];
            bad = bad || any((bitcast<vec4<u32>>(v) & EXP) == EXP) || any(abs(v) > vec4<f32>(p.limit));
        }
    }
    if bad {
        atomicOr(&flags[p.slot], 1u);
    }
}
