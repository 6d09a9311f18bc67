// relu_bwd: in place, dy = dy where 0 < y < CAP, else 0 (y: the output of a ReLU capped at
// CAP, same shape; a plain ReLU's CAP is the largest f32, which no output passes).
//
// y: (n) f32     dy: (n) f32

struct Params {
    n: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

// a ReLU's ceiling (ReLU6: 6)
override CAP: f32 = 3.4028235e38;

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> dy: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn relu_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        dy[i] = select(0.0, dy[i], y[i] > 0.0 && y[i] < CAP);
    }
}
