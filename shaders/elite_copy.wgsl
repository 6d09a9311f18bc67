// elite_copy: archive[c, :] = children[winner[c], :] for every cell c that elite_select
// gave a new elite (winner[c] != 0xffffffff). One invocation per archive gene.
//
// children: (batch, genes) f32     winner: (classes) u32     archive: (classes, genes) f32

struct Params {
    batch: u32, classes: u32, genes: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> children: array<f32>;
@group(0) @binding(1) var<storage, read> winner: array<u32>;
@group(0) @binding(2) var<storage, read_write> archive: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn elite_copy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.classes * p.genes {
        return;
    }
    let c = i / p.genes;
    let w = winner[c];
    if w < p.batch {
        archive[i] = children[w * p.genes + i % p.genes];
    }
}
