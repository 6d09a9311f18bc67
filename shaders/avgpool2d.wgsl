// avgpool2d_fwd: average pooling, windows clipped to the image. The divisor is the clipped
// window's size (COUNT_PAD = false, ONNX's count_include_pad = 0) or the window's size
// within the padded input (COUNT_PAD = true), as PyTorch and onnxruntime count it.
// Global average pooling is the window of the whole plane.
//
// x:   (planes = batch * channels, in_h, in_w)    f32, contiguous
// y:   (planes, out_h, out_w)                     f32, contiguous
//
// One invocation per output element.

struct Params {
    planes: u32, in_h: u32, in_w: u32, out_h: u32,
    out_w: u32, kh: u32, kw: u32, sh: u32,
    sw: u32, pad_t: u32, pad_l: u32, pad_b: u32,
    pad_r: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

override COUNT_PAD: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn avgpool2d_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let ohw = p.out_h * p.out_w;
    if i >= p.planes * ohw {
        return;
    }
    let plane = i / ohw;
    let oy = (i % ohw) / p.out_w;
    let ox = i % p.out_w;
    let y0 = i32(oy * p.sh) - i32(p.pad_t);
    let x0 = i32(ox * p.sw) - i32(p.pad_l);
    let y1 = min(y0 + i32(p.kh), i32(p.in_h));
    let x1 = min(x0 + i32(p.kw), i32(p.in_w));
    let base = plane * p.in_h * p.in_w;
    var sum = 0.0;
    for (var iy = max(y0, 0); iy < y1; iy++) {
        for (var ix = max(x0, 0); ix < x1; ix++) {
            sum += x[base + u32(iy) * p.in_w + u32(ix)];
        }
    }
    var count = (y1 - max(y0, 0)) * (x1 - max(x0, 0));
    if COUNT_PAD {
        count = (min(y0 + i32(p.kh), i32(p.in_h + p.pad_b)) - y0)
            * (min(x0 + i32(p.kw), i32(p.in_w + p.pad_r)) - x0);
    }
    y[i] = sum / f32(max(count, 1));
}
