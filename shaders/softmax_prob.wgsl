// softmax_prob_bwd: the gradient of one class's softmax probability with respect to the
// logits, the seed of gradient ascent on the input (docs/paper.md §6).
//
// x:      (rows, cols) f32 logits, row-major
// wanted: (rows) u32, the target class of each row, < cols
// dx:     (rows, cols) f32: d p_t / d x_c = p_t * (onehot(t)_c - p_c)
// prob:   (rows) f32: p_t = softmax(x)[t]
//
// One workgroup per row: max and sum reductions in workgroup memory, as softmax_fwd. The
// target's own term p_t * (1 - p_t) is computed as p_t * (sum of the other classes'
// probabilities), which keeps its relative precision when p_t is within a few ULPs of 1:
// exactly where fooling images live.

struct Params {
    rows: u32, cols: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wanted: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read_write> prob: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const WG: u32 = 128u;
var<workgroup> red: array<f32, WG>;

// The sum of `v` over the workgroup (every invocation gets it).
fn workgroup_sum(li: u32, v: f32) -> f32 {
    red[li] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            red[li] += red[li + s];
        }
        workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(128)
fn softmax_prob_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let row = wid.x + wid.y * nwg.x;
    if row >= p.rows {
        return;
    }
    let base = row * p.cols;
    let t = min(wanted[row], p.cols - 1u);

    var m = -3.402823e38;
    for (var c = li; c < p.cols; c += WG) {
        m = max(m, x[base + c]);
    }
    red[li] = m;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            red[li] = max(red[li], red[li + s]);
        }
        workgroupBarrier();
    }
    m = red[0];
    workgroupBarrier();

    var sum = 0.0;
    var others = 0.0;
    for (var c = li; c < p.cols; c += WG) {
        let e = exp(x[base + c] - m);
        sum += e;
        others += select(e, 0.0, c == t);
    }
    let total = workgroup_sum(li, sum);
    let rest = workgroup_sum(li, others) / total; // 1 - p_t without the cancellation
    let pt = exp(x[base + t] - m) / total;

    for (var c = li; c < p.cols; c += WG) {
        let pc = exp(x[base + c] - m) / total;
        dx[base + c] = select(-pt * pc, pt * rest, c == t);
    }
    if li == 0u {
        prob[row] = pt;
    }
}
