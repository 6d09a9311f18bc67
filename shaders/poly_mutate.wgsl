// poly_mutate: children of direct-encoding genomes by polynomial mutation (docs/paper.md §3),
// optionally after simulated binary crossover (SBX) with a second parent.
//
// parents:  (cells, genes) f32 in [0, 1]: the archive's cells first_cell .. first_cell + cells
// parent:   (all children) u32: each child's parent cell
// mate:     (all children) u32: each child's second parent cell (read only when cross_prob > 0)
// children: (batch, genes) f32 in [0, 1]: children first_child .. first_child + batch
// clock:    (1) u32: the generation (clock_step advances it on the device), which seeds the
//           draws and sets the rate: `rate` halved every `halve_every` generations (the
//           paper's schedule: 1000; 0: constant)
//
// An archive or a batch too large for one binding is split into blocks, and this kernel runs
// once per (children block, archive block): it writes the children whose parent lies in its
// archive block and leaves the others alone. Crossover needs the mate in the same block.
//
// Crossover (off unless cross_prob > 0): with probability cross_prob a child is the first
// offspring of bounded SBX (Deb & Agrawal; distribution index eta_c) of its parent and mate:
// each gene, with probability 1/2 and where the parents differ, is drawn around the pair;
// genes equal in both parents are inherited as they are (the authors' code reset them to 0.5,
// a bug not reproduced here).
//
// Each gene of each child is, with probability rate(g), moved by delta and clamped to [0, 1]:
//   u ~ U[0,1);  delta = (2u)^(1/(eta+1)) - 1 if u < 0.5, else 1 - (2(1-u))^(1/(eta+1)).
// Random numbers come from a counter-based hash of (seed, generation, child, gene, stream),
// so they do not depend on the dispatch shape, and the CPU twin draws the same bits. A batch
// of independent runs (children r·per_run .. (r+1)·per_run are run r's) draws for run r with
// seed + r and the child's index within its run: each run's children are the ones it makes
// alone (`parent` and `mate` already name cells of the child's own run).

struct Params {
    batch: u32, genes: u32, seed: u32, halve_every: u32,
    rate: f32, eta: f32, cross_prob: f32, eta_c: f32,
    first_child: u32, first_cell: u32, cells: u32, per_run: u32,
}

@group(0) @binding(0) var<storage, read> parents: array<f32>;
@group(0) @binding(1) var<storage, read> parent: array<u32>;
@group(0) @binding(2) var<storage, read> mate: array<u32>;
@group(0) @binding(3) var<storage, read> clock: array<u32>;
@group(0) @binding(4) var<storage, read_write> children: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

// hash and uniform01: shaders/include/counter_hash.wgsl, appended.

// The spread factor of bounded SBX on [0, 1] for a parent at distance `d` from its bound.
fn betaq(u: f32, d: f32, spread: f32) -> f32 {
    let beta = 1.0 + 2.0 * d / spread;
    let tail = pow(beta, -(p.eta_c + 1.0));
    let alpha = 2.0 - tail;
    let e = 1.0 / (p.eta_c + 1.0);
    if u <= 1.0 / alpha {
        return pow(u * alpha, e);
    }
    // 2 - u * alpha, written without the cancellation that costs f32 its digits as u -> 1
    // (1 - u is exact for u's 24-bit draws)
    return pow(1.0 / (2.0 * (1.0 - u) + u * tail), e);
}

// The first offspring of bounded SBX of genes a (the child's parent) and b (its mate): the
// offspring on a's side of the pair's centre.
fn sbx(a: f32, b: f32, u: f32) -> f32 {
    if abs(a - b) <= 1e-14 {
        return a;
    }
    let y1 = min(a, b);
    let y2 = max(a, b);
    let spread = y2 - y1;
    let c1 = clamp(0.5 * ((y1 + y2) - betaq(u, y1, spread) * spread), 0.0, 1.0);
    let c2 = clamp(0.5 * ((y1 + y2) + betaq(u, 1.0 - y2, spread) * spread), 0.0, 1.0);
    return select(c2, c1, a <= b);
}

@compute @workgroup_size(256)
fn poly_mutate(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.batch * p.genes {
        return;
    }
    let child = p.first_child + i / p.genes;
    let gene = i % p.genes;
    let cell = parent[child] - p.first_cell; // wraps past cells when below first_cell
    if cell >= p.cells {
        return;
    }
    var g = parents[cell * p.genes + gene];
    let generation = clock[0];
    let run = child / p.per_run;
    let seed = p.seed + run;
    let own = child - run * p.per_run;
    // the rate halved every halve_every generations (exactly: a power of two)
    var rate = p.rate;
    if p.halve_every > 0u {
        rate = ldexp(p.rate, -i32((max(generation, 1u) - 1u) / p.halve_every));
    }
    let other = mate[child] - p.first_cell;
    if uniform01(seed, generation, own, 0u, 4u) < p.cross_prob
        && uniform01(seed, generation, own, gene, 5u) < 0.5 && other < p.cells {
        g = sbx(g, parents[other * p.genes + gene], uniform01(seed, generation, own, gene, 6u));
    }
    if uniform01(seed, generation, own, gene, 0u) < rate {
        let u = uniform01(seed, generation, own, gene, 1u);
        let e = 1.0 / (p.eta + 1.0);
        var delta: f32;
        if u < 0.5 {
            delta = pow(2.0 * u, e) - 1.0;
        } else {
            delta = 1.0 - pow(2.0 * (1.0 - u), e);
        }
        g = clamp(g + delta, 0.0, 1.0);
    }
    children[i] = g;
}
