// Constant padding of images and its gradient (ONNX's Pad in constant mode, where no
// convolution after it can take it into its own padding).
//
// pad2d_fwd: y (n, c, h + top + bottom, w + left + right) = x inside, `value` around it
// pad2d_bwd: dx (n, c, h, w) = dy's inside (the padding's gradient goes nowhere)
//
// x, dx: (n, c, h, w)    y, dy: the padded shape    f32, NCHW, contiguous
// Bindings: src (x or dy), dst (y or dx).

struct Params {
    planes: u32, h: u32, w: u32, top: u32,
    left: u32, out_h: u32, out_w: u32, value: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn pad2d_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let plane = p.out_h * p.out_w;
    if i >= p.planes * plane {
        return;
    }
    let oy = (i % plane) / p.out_w;
    let ox = i % p.out_w;
    let y = i32(oy) - i32(p.top);
    let x = i32(ox) - i32(p.left);
    var v = p.value;
    if y >= 0 && y < i32(p.h) && x >= 0 && x < i32(p.w) {
        v = src[(i / plane) * p.h * p.w + u32(y) * p.w + u32(x)];
    }
    dst[i] = v;
}

@compute @workgroup_size(256)
fn pad2d_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let plane = p.h * p.w;
    if i >= p.planes * plane {
        return;
    }
    let y = (i % plane) / p.w + p.top;
    let x = i % p.w + p.left;
    dst[i] = src[(i / plane) * p.out_h * p.out_w + y * p.out_w + x];
}
