// render_color: colour genomes to a network's input, as the authors' pipeline made it: genes to
// bytes, bytes to BGR through OpenCV's 8-bit colour conversions (f32 throughout, rounding half
// to even as cvRound does), then crops, the channel order, the mean and the scale.
//
// genes: (.., 3, size_h, size_w) f32, planar, in the colour model's letter order; genome
//        `first + i` is the i-th rendered:
//        model 0 (hls-opencv): H, L, S through HLS2BGR, hue scale 0-180 (bytes 180-255 wrap)
//        model 1 (hsv):        H, S, V through HSV2BGR_FULL, hue on the full byte range
// mean_image: (3, crop_h, crop_w) f32 in the output's channel order, subtracted when
//        mean_image_on is 1 (after the per-channel mean); any buffer otherwise
// x:     (items * crops, 3, crop_h, crop_w) f32: for each genome its crops in Caffe's
//        `oversample` order (crops = 10: the corners (0,0), (0,W-K), (H-L,0), (H-L,W-K) as
//        (row, column) for genomes of H x W and crops of L x K, the centre ((H-L)/2,
//        (W-K)/2), then the horizontal mirror of each of those five;
//        crops = 1: the centre), each value (pixel - mean[c] - mean_image) * inv_std[c],
//        planes B, G, R (rgb = 0) or R, G, B (rgb = 1).
//
// Each gene becomes a byte by floor(clamp(g, 0, 1) * 255), as in the authors' code. With
// crop = size, crops = 1, zero mean, inv_std 1 and rgb 0 this is the plain BGR rendering.

struct Params {
    items: u32, first: u32, size_h: u32, size_w: u32,
    crop_h: u32, crop_w: u32, crops: u32, model: u32,
    rgb: u32, mean_image_on: u32, _pad0: u32, _pad1: u32,
    mean: vec4<f32>,
    inv_std: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> genes: array<f32>;
@group(0) @binding(1) var<storage, read> mean_image: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn byte(g: f32) -> f32 {
    return floor(clamp(g, 0.0, 1.0) * 255.0);
}

fn wrap6(x: f32) -> f32 {
    var h = x;
    while h < 0.0 {
        h += 6.0;
    }
    while h >= 6.0 {
        h -= 6.0;
    }
    return h;
}

// OpenCV's sector table: which of tab[0..4] is B, G and R in each sixth of the hue circle.
fn pick(tab: vec4<f32>, sector: u32) -> vec3<f32> {
    switch sector {
        case 0u: { return vec3<f32>(tab[1], tab[3], tab[0]); }
        case 1u: { return vec3<f32>(tab[1], tab[0], tab[2]); }
        case 2u: { return vec3<f32>(tab[3], tab[0], tab[1]); }
        case 3u: { return vec3<f32>(tab[0], tab[2], tab[1]); }
        case 4u: { return vec3<f32>(tab[0], tab[1], tab[3]); }
        default: { return vec3<f32>(tab[2], tab[1], tab[0]); }
    }
}

fn to_bgr(h8: f32, a8: f32, c8: f32) -> vec3<f32> {
    let inv = 1.0 / 255.0;
    let a = a8 * inv;
    let c = c8 * inv;
    var out: vec3<f32>;
    if p.model == 0u {
        let l = a;
        let s = c;
        if s == 0.0 {
            out = vec3<f32>(l);
        } else {
            var p2 = l + s - l * s;
            if l <= 0.5 {
                p2 = l * (1.0 + s);
            }
            let p1 = 2.0 * l - p2;
            var h = wrap6(h8 * (6.0 / 180.0));
            let sector = u32(floor(h));
            h -= floor(h);
            out = pick(vec4<f32>(p2, p1, p1 + (p2 - p1) * (1.0 - h), p1 + (p2 - p1) * h), sector);
        }
    } else {
        let s = a;
        let v = c;
        if s == 0.0 {
            out = vec3<f32>(v);
        } else {
            var h = wrap6(h8 * (6.0 / 255.0));
            let sector = u32(floor(h));
            h -= floor(h);
            out = pick(vec4<f32>(v, v * (1.0 - s), v * (1.0 - s * h), v * (1.0 - s * (1.0 - h))), sector);
        }
    }
    return clamp(round(out * 255.0), vec3<f32>(0.0), vec3<f32>(255.0));
}

// The top-left corner (row, column) of crop `k` of 5 (before mirroring).
fn corner(k: u32) -> vec2<u32> {
    let far_h = p.size_h - p.crop_h;
    let far_w = p.size_w - p.crop_w;
    switch k {
        case 0u: { return vec2<u32>(0u, 0u); }
        case 1u: { return vec2<u32>(0u, far_w); }
        case 2u: { return vec2<u32>(far_h, 0u); }
        case 3u: { return vec2<u32>(far_h, far_w); }
        default: { return vec2<u32>(far_h / 2u, far_w / 2u); }
    }
}

@compute @workgroup_size(256)
fn render_color(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let area = p.crop_h * p.crop_w;
    if i >= p.items * p.crops * area {
        return;
    }
    let image = i / area; // item * crops + k
    let item = image / p.crops;
    var k = image % p.crops;
    if p.crops == 1u {
        k = 4u; // the centre
    }
    let at = i % area;
    let row = at / p.crop_w;
    var col = at % p.crop_w;
    if k >= 5u {
        col = p.crop_w - 1u - col; // the mirror: column c of the crop shows column K-1-c
    }
    let c0 = corner(k % 5u);
    let plane = p.size_h * p.size_w;
    let src = (p.first + item) * 3u * plane + (c0.x + row) * p.size_w + c0.y + col;
    let bgr = to_bgr(byte(genes[src]), byte(genes[src + plane]), byte(genes[src + 2u * plane]));
    let out = image * 3u * area + at;
    for (var c = 0u; c < 3u; c++) {
        var v = bgr[c];
        if p.rgb == 1u {
            v = bgr[2u - c];
        }
        v -= p.mean[c];
        if p.mean_image_on == 1u {
            v -= mean_image[c * area + at];
        }
        x[out + c * area] = v * p.inv_std[c];
    }
}
