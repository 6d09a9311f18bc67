// clock_step: advances a search's generation counter on the device, so that a submit can
// record many generations and the host uploads nothing per generation: every kernel of a
// generation reads the generation from `clock` (parents_draw, poly_mutate).
//
// clock: (1) u32, the current generation (0: the initial random batch), advanced by n
// One invocation.

struct Params {
    n: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> clock: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(1)
fn clock_step() {
    clock[0] = clock[0] + p.n;
}
