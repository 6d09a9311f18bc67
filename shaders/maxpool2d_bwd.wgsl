// maxpool2d_bwd: the gradient of maxpool2d_fwd routed to each window's arg-max.
//
// dy:  (planes, out_h, out_w) f32     arg: (planes, out_h, out_w) u32 (from maxpool2d_fwd)
// dx:  (planes, in_h, in_w) f32
//
// A gather, so overlapping windows (kernel > stride) need no atomics: each invocation owns one
// input element and sums dy over the windows that contain it and chose it.

struct Params {
    planes: u32, in_h: u32, in_w: u32, out_h: u32,
    out_w: u32, kh: u32, kw: u32, sh: u32,
    sw: u32, pad_t: u32, pad_l: u32, pad_b: u32,
    pad_r: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> arg: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// the output windows along one axis that contain input position `i`: [lo, hi)
fn windows(i: u32, pad: u32, k: u32, s: u32, out_len: u32) -> vec2<u32> {
    let t = i32(i + pad);
    let lo = max(t - i32(k) + i32(s), 0) / i32(s); // ceil((t - k + 1) / s)
    let hi = min(u32(t) / s + 1u, out_len);
    return vec2<u32>(u32(lo), hi);
}

@compute @workgroup_size(256)
fn maxpool2d_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let hw = p.in_h * p.in_w;
    if i >= p.planes * hw {
        return;
    }
    let plane = i / hw;
    let at = i % hw;
    let ys = windows(at / p.in_w, p.pad_t, p.kh, p.sh, p.out_h);
    let xs = windows(at % p.in_w, p.pad_l, p.kw, p.sw, p.out_w);
    var acc = 0.0;
    for (var oy = ys.x; oy < ys.y; oy++) {
        for (var ox = xs.x; ox < xs.y; ox++) {
            let o = (plane * p.out_h + oy) * p.out_w + ox;
            if arg[o] == at {
                acc += dy[o];
            }
        }
    }
    dx[i] = acc;
}
