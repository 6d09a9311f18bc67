// render_color: colour direct-encoding genomes to BGR pixel values, as OpenCV's 8-bit
// conversions compute them (f32 throughout, rounding half to even as cvRound does).
//
// genes: (batch, 3, size, size) f32, planar, in the model's letter order:
//        model 0 (hls-opencv): H, L, S through HLS2BGR, hue scale 0-180 (bytes 180-255 wrap)
//        model 1 (hsv):        H, S, V through HSV2BGR_FULL, hue on the full byte range
// bgr:   (batch, 3, size, size) f32: B, G, R planes, values 0-255
//
// Each gene becomes a byte by floor(clamp(g, 0, 1) * 255), as in the authors' code.

struct Params {
    pixels: u32, plane: u32, model: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> genes: array<f32>;
@group(0) @binding(1) var<storage, read_write> bgr: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

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

@compute @workgroup_size(256)
fn render_color(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.pixels {
        return;
    }
    let b = i / p.plane;
    let at = i % p.plane;
    let base = b * 3u * p.plane + at;
    let c = to_bgr(byte(genes[base]), byte(genes[base + p.plane]), byte(genes[base + 2u * p.plane]));
    bgr[base] = c.x;
    bgr[base + p.plane] = c.y;
    bgr[base + 2u * p.plane] = c.z;
}
