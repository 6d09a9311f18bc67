// render_grey: direct-encoding genomes to a grey network input, as the authors' code does:
// pixel = floor(g * 255) (g clamped to [0, 1]), input = (pixel - mean) * inv_std (LeNet: mean 0,
// inv_std 1/256; a network trained with torchvision's normalisation: 255 · its mean and
// 1 / (255 · its std)).
//
// genes: (.., pixels) f32, read from element `first` on     x: (n) f32

struct Params {
    n: u32, inv_std: f32, first: u32, mean: f32,
}

@group(0) @binding(0) var<storage, read> genes: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn render_grey(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i < p.n {
        x[i] = (floor(clamp(genes[p.first + i], 0.0, 1.0) * 255.0) - p.mean) * p.inv_std;
    }
}
