// elite_copy: archive[c, :] = children[winner[c], :] for every cell c that elite_select
// gave a new elite (winner[c] != 0xffffffff). Each invocation copies up to GENES_PER genes of
// one cell, strided so that neighbouring invocations touch neighbouring genes; a cell without
// a new elite costs one read of its winner per invocation (an ImageNet archive is 196,608
// genes per cell, and few cells change per generation).
//
// children: (batch, genes) f32: children first_child .. first_child + batch
// winner:   (all cells) u32
// archive:  (classes, genes) f32: cells first_cell .. first_cell + classes
//
// An archive or a batch too large for one binding is split into blocks, and this kernel runs
// once per (archive block, children block).

struct Params {
    batch: u32, classes: u32, genes: u32, first_child: u32,
    first_cell: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> children: array<f32>;
@group(0) @binding(1) var<storage, read> winner: array<u32>;
@group(0) @binding(2) var<storage, read_write> archive: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const GENES_PER: u32 = 16u;

@compute @workgroup_size(256)
fn elite_copy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let per_cell = (p.genes + GENES_PER - 1u) / GENES_PER;
    if i >= p.classes * per_cell {
        return;
    }
    let c = i / per_cell;
    let w = winner[p.first_cell + c] - p.first_child; // wraps past batch when below first_child
    if w >= p.batch {
        return;
    }
    for (var g = i % per_cell; g < p.genes; g += per_cell) {
        archive[c * p.genes + g] = children[w * p.genes + g];
    }
}
