// finite_check: marks `flags[slot]` when any element of x is infinite or NaN (an overflowed
// activation), from the bits of each f32 (exponent all ones), so no compiler assumption
// about NaN can hide one; or above `limit` in magnitude (an input beyond what a network's
// overflow proof covers).
//
// x: (n) f32     flags: (slots) u32, set to 1 when marked, never cleared here
// `finite_check`: one invocation per element. `finite_check4`, for n a multiple of 4 (x4
// binds the same values as vec4s): one invocation per 16 elements, four vec4 loads a lane,
// one atomic at most. On a CPU adapter a load whose index differs between lanes costs a
// load per lane, so a vec4 load checks four elements for the price of one.

struct Params {
    n: u32, slot: u32, limit: f32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> p: Params;

const EXP: u32 = 0x7f800000u;

@compute @workgroup_size(256)
fn finite_check(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n && ((bitcast<u32>(x[i]) & EXP) == EXP || abs(x[i]) > p.limit) {
        atomicOr(&flags[p.slot], 1u);
    }
}
