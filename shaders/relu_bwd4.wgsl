// relu_bwd4: `relu_bwd` (relu_bwd.wgsl) for n a multiple of 4, with y and dy bound as vec4s:
// one invocation per 16 elements, four vec4s a lane (each at a stride of the workgroup, so a
// workgroup reads one contiguous block). On a CPU adapter a load whose index differs between
// lanes costs a load per lane, so a vec4 moves four elements for the price of one: on the
// dog network's input gradient the scalar form was a fifth of the backward pass.
//
// y: (n / 4) vec4<f32>     dy: (n / 4) vec4<f32>

struct Params {
    n: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

// a ReLU's ceiling (ReLU6: 6)
override CAP: f32 = 3.4028235e38;

@group(0) @binding(0) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dy: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn relu_bwd4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let n4 = p.n / 4u;
    let base = (wid.x + wid.y * nwg.x) * 1024u + li;
    for (var k = 0u; k < 4u; k++) {
        let i = base + k * 256u;
        if i < n4 {
            let v = y[i];
            dy[i] = select(vec4<f32>(0.0), dy[i], v > vec4<f32>(0.0) & v < vec4<f32>(CAP));
        }
    }
}
