// ascent_step: one step of gradient ascent on the input for every item of a batch
// (docs/paper.md §6), after the forward and backward passes of the current images.
//
// grad:    (batch, n) f32   d p / d (network input), from the backward pass
// prob:    (batch) f32      p, the target class's probability of the current image
// mean:    (3, n) f32       row 0: the mean image (pixel units), which the decay pulls
//                           toward; row 1: the network's input offset (pixel units); row 2:
//                           its scale (1 / std, per value: channels may differ)
// image:   (batch, n) f32   the current image in pixel units (clipped); becomes the next
// input:   (batch, n) f32   written: the network's input of the next image,
//                           (image - offset) * scale
// best:    (batch, n) f32   the best image so far, pixel units
// state:   (batch) State    the best probability, its iteration, and iterations done
// history: (iterations, batch) f32: p at every iteration
//
// One workgroup per item. With g = d p / d image = scale * grad (element-wise):
//   lr      = min(max_lr, min(0.03, 0.1 * (1 - p)) / |g|^2)   (the progress step)
//   image   = clamp(mean + (1 - decay) * (image + lr * g - mean), lo, hi)
// The best image is the one just evaluated when p beats every earlier p of the item.

struct Params {
    batch: u32, n: u32, iterations: u32, _pad0: u32,
    decay: f32, max_lr: f32, lo: f32, hi: f32,
}

struct State {
    best_prob: f32,
    best_iter: u32,
    iter: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read> prob: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> image: array<f32>;
@group(0) @binding(4) var<storage, read_write> input: array<f32>;
@group(0) @binding(5) var<storage, read_write> best: array<f32>;
@group(0) @binding(6) var<storage, read_write> state: array<State>;
@group(0) @binding(7) var<storage, read_write> history: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(256)
fn ascent_step(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let item = wid.x + wid.y * nwg.x;
    if item >= p.batch {
        return;
    }
    let base = item * p.n;
    let s = state[item];
    let pr = prob[item];
    let improved = pr > s.best_prob;

    var sq = 0.0;
    for (var i = li; i < p.n; i += WG) {
        let g = grad[base + i] * mean[2u * p.n + i];
        sq += g * g;
    }
    red[li] = sq;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
        if li < k {
            red[li] += red[li + k];
        }
        workgroupBarrier();
    }
    let norm2 = red[0];
    let desired = min(0.03, 0.1 * (1.0 - pr));
    // |g|^2 = 0 (a saturated or dead gradient) gives max_lr, and a step of zero
    let lr = select(p.max_lr, min(p.max_lr, desired / norm2), norm2 > 0.0);
    let keep = 1.0 - p.decay;

    for (var i = li; i < p.n; i += WG) {
        let cur = image[base + i];
        if improved {
            best[base + i] = cur;
        }
        let m = mean[i];
        let scale = mean[2u * p.n + i];
        let next = clamp(m + keep * (cur + lr * scale * grad[base + i] - m), p.lo, p.hi);
        image[base + i] = next;
        input[base + i] = (next - mean[p.n + i]) * scale;
    }
    if li == 0u {
        var t = s;
        if improved {
            t.best_prob = pr;
            t.best_iter = s.iter;
        }
        if s.iter < p.iterations {
            history[s.iter * p.batch + item] = pr;
        }
        t.iter = s.iter + 1u;
        state[item] = t;
    }
}
