// maxpool2d_fwd: max-pooling, windows clipped to the image (padding never wins), and the
// arg-max (index within the input plane, for the backward pass) written beside the maximum.
// The output size (rounded up for Caffe and ONNX's ceil_mode, else down) is the launcher's.
//
// x:   (planes = batch * channels, in_h, in_w)    f32, contiguous
// y:   (planes, out_h, out_w)                     f32, contiguous
// arg: (planes, out_h, out_w)                     u32: iy * in_w + ix of the maximum
//
// One invocation per four neighbouring outputs of a row.

struct Params {
    planes: u32, in_h: u32, in_w: u32, out_h: u32,
    out_w: u32, kh: u32, kw: u32, sh: u32,
    sw: u32, pad_t: u32, pad_l: u32, pad_b: u32,
    pad_r: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> arg: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn maxpool2d_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let q = (wid.x + wid.y * nwg.x) * 256u + li;
    let quads_w = (p.out_w + 3u) / 4u;
    if q >= p.planes * p.out_h * quads_w {
        return;
    }
    // where the row lies is worked out once for its four outputs: on a CPU adapter an
    // integer division is done lane by lane
    let row = q / quads_w; // plane * out_h + oy
    let ox0 = (q % quads_w) * 4u;
    let oy = row % p.out_h;
    let plane = row / p.out_h;
    let y0 = i32(oy * p.sh) - i32(p.pad_t);
    let y1 = min(y0 + i32(p.kh), i32(p.in_h));
    let base = plane * p.in_h * p.in_w;
    let out = row * p.out_w;
    for (var j = 0u; j < 4u; j++) {
        let ox = ox0 + j;
        if ox < p.out_w {
            let x0 = i32(ox * p.sw) - i32(p.pad_l);
            let x1 = min(x0 + i32(p.kw), i32(p.in_w));
            var best = -3.402823e38;
            var best_at = 0u;
            for (var iy = max(y0, 0); iy < y1; iy++) {
                for (var ix = max(x0, 0); ix < x1; ix++) {
                    let at = u32(iy) * p.in_w + u32(ix);
                    let v = x[base + at];
                    if v > best {
                        best = v;
                        best_at = at;
                    }
                }
            }
            y[out + ox] = best;
            arg[out + ox] = best_at;
        }
    }
}
