// parents_draw: each child's parent cell for the generation in `clock`, uniform over the
// cells, from the counter-based hash of (seed, generation, child, 0, stream) as the host
// draws it (`evo::archive::parent_cells`): parent = min(floor(u · cells), cells − 1) with
// u's 24 random bits, so the draws are the same bits on every device and on the host.
//
// A batch of `runs` independent runs (children r·per_run .. (r+1)·per_run are run r's, its
// cells r·cells .. (r+1)·cells, its seed seed + r) draws for each run as that run alone does,
// with the child's index within its run, and offsets the cell to the run's.
//
// clock:  (1) u32, the generation
// parent: (batch) u32, written
// One invocation per child.

struct Params {
    batch: u32, cells: u32, seed: u32, stream: u32,
    per_run: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> clock: array<u32>;
@group(0) @binding(1) var<storage, read_write> parent: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// hash and uniform01: shaders/include/counter_hash.wgsl, appended.

@compute @workgroup_size(256)
fn parents_draw(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let b = (wid.x + wid.y * nwg.x) * 256u + li;
    if b < p.batch {
        let run = b / p.per_run;
        let u = uniform01(p.seed + run, clock[0], b - run * p.per_run, 0u, p.stream);
        parent[b] = run * p.cells + min(u32(u * f32(p.cells)), p.cells - 1u);
    }
}
