// dropout: in place, x[i] = x[i] / (1 - p) where the draw for element i keeps it, else 0.
// The draw is uniform01(seed, step, stream, i, 9) >= p, from the counter hash shared with
// the host, so the backward pass (this same kernel on the gradient) drops the same elements,
// and the CPU twin draws the same mask. `step` is read from a buffer the trainer rewrites
// every iteration; `stream` tells the layers apart.
//
// x: (n) f32     step: (1) u32

struct Params {
    n: u32, seed: u32, stream: u32, _pad0: u32,
    p: f32, _pad1: f32, _pad2: f32, _pad3: f32,
}

@group(0) @binding(0) var<storage, read> step: array<u32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// hash and uniform01: shaders/include/counter_hash.wgsl, appended.

@compute @workgroup_size(256)
fn dropout(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.n {
        return;
    }
    let keep = uniform01(p.seed, step[0], p.stream, i, 9u) >= p.p;
    x[i] = select(0.0, x[i] / (1.0 - p.p), keep);
}
