// MAP-Elites with one cell per class (docs/paper.md §2), on the device.
//
// elite_select: for each class c, the child with the highest confidence for c (the lowest
//   child index on ties); if it beats the cell's confidence strictly, it becomes the cell's
//   elite: conf[c] is updated and winner[c] names the child, else winner[c] = 0xffffffff.
// elite_copy: copies each winning child's genome into its cell.
//
// A batch may hold `runs` independent runs: run r's children are rows r·batch .. (r+1)·batch
// and its cells r·classes .. (r+1)·classes, and a cell competes among its run's children
// only (winner names the child's row in the whole batch).
//
// probs:    (runs·batch, stride) f32, the children's softmax outputs (or 10-crop means);
//           the cells are the first `classes` columns (a retrained network's extra
//           "fooling" class has no cell)
// conf:     (runs·classes) f32, the cells' confidences (-1 for an empty cell)
// winner:   (runs·classes) u32
// children: (runs·batch, genes) f32     archive: (runs·classes, genes) f32

struct Params {
    batch: u32, classes: u32, stride: u32, runs: u32,
}

@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read_write> conf: array<f32>;
@group(0) @binding(2) var<storage, read_write> winner: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

const WG: u32 = 64u;
var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;

@compute @workgroup_size(64)
fn elite_select(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let c = wid.x + wid.y * nwg.x;
    if c >= p.classes * p.runs {
        return;
    }
    let run = c / p.classes;
    let column = c - run * p.classes;
    let first = run * p.batch;
    // each invocation scans children li, li + 64, ... in increasing order: strict > keeps the lowest index
    var v = -3.402823e38;
    var at = 0xffffffffu;
    for (var b = first + li; b < first + p.batch; b += WG) {
        let x = probs[b * p.stride + column];
        if x > v {
            v = x;
            at = b;
        }
    }
    best_v[li] = v;
    best_i[li] = at;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            let ov = best_v[li + s];
            let oi = best_i[li + s];
            if ov > best_v[li] || (ov == best_v[li] && oi < best_i[li]) {
                best_v[li] = ov;
                best_i[li] = oi;
            }
        }
        workgroupBarrier();
    }
    if li == 0u {
        if best_i[0] != 0xffffffffu && best_v[0] > conf[c] {
            conf[c] = best_v[0];
            winner[c] = best_i[0];
        } else {
            winner[c] = 0xffffffffu;
        }
    }
}
