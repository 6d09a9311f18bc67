// sgd_update: one step of SGD with momentum and L2 weight decay, as Caffe does it:
//   v = momentum * v + lr * lr_mult * (g + decay * decay_mult * w);   w = w - v
//
// g:     (n) f32, the gradient of the loss
// hyper: [lr, momentum, decay] f32: this iteration's solver values, shared by every tensor
//        and rewritten each iteration (the learning rate follows a schedule)
// w, v:  (n) f32, updated in place
// Per-tensor multipliers (Caffe's lr_mult, decay_mult) are in the params.

struct Params {
    n: u32, lr_mult: f32, decay_mult: f32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> hyper: array<f32, 3>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn sgd_update(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        let lr = hyper[0] * p.lr_mult;
        let decay = hyper[2] * p.decay_mult;
        let step = hyper[1] * v[i] + lr * (g[i] + decay * w[i]);
        v[i] = step;
        w[i] = w[i] - step;
    }
}
