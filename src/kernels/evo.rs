//! Launchers of the evolution kernels: `poly_mutate` (shaders/poly_mutate.wgsl), `render_grey`
//! (shaders/render.wgsl), `elite_select` (shaders/elite.wgsl), `elite_copy`
//! (shaders/elite_copy.wgsl).

use super::{check_len, shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MutateParams {
    batch: u32,
    genes: u32,
    seed: u32,
    generation: u32,
    rate: f32,
    eta: f32,
    cross_prob: f32,
    eta_c: f32,
}

/// The settings of one generation's polynomial mutation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mutation {
    pub seed: u32,
    pub generation: u32,
    /// Probability that a gene mutates.
    pub rate: f32,
    /// Distribution index η (15 in the paper).
    pub eta: f32,
    /// Probability that a child is an SBX offspring of its parent and its mate (0: none).
    pub cross_prob: f32,
    /// SBX's distribution index η_c (10 in the authors' code).
    pub eta_c: f32,
}

/// `children[b, :]` = `parents[parent[b], :]`, crossed with `parents[mate[b], :]` when
/// `m.cross_prob > 0`, then mutated (see shaders/poly_mutate.wgsl); `parents`
/// `(cells, genes)`, `parent` and `mate` `(batch)` u32, `children` `(batch, genes)`.
pub fn poly_mutate(
    gpu: &Gpu,
    genes: usize,
    m: &Mutation,
    parents: View<'_>,
    parent: View<'_>,
    mate: View<'_>,
    children: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "poly_mutate";
    let batch = parent.len;
    check_len(K, "children", children.len, batch * genes)?;
    check_len(K, "mate", mate.len, batch)?;
    check_len(
        K,
        "parents (a multiple of genes)",
        parents.len % genes.max(1),
        0,
    )?;
    let grid = grid_for(gpu, K, (batch * genes).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("poly_mutate.wgsl", shader("poly_mutate.wgsl"), K, &[])?;
    let u = gpu.uniform(K, &mutate_params(batch, genes, m));
    let d = Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            parents.binding(gpu, "poly_mutate parents")?,
            parent.binding(gpu, "poly_mutate parent")?,
            mate.binding(gpu, "poly_mutate mate")?,
            children.binding(gpu, "poly_mutate children")?,
            u.as_entire_binding(),
        ],
        grid,
    )?;
    Ok(d.keep_uniform(u))
}

fn mutate_params(batch: usize, genes: usize, m: &Mutation) -> MutateParams {
    MutateParams {
        batch: batch as u32,
        genes: genes as u32,
        seed: m.seed,
        generation: m.generation,
        rate: m.rate,
        eta: m.eta,
        cross_prob: m.cross_prob,
        eta_c: m.eta_c,
    }
}

/// Points a [`poly_mutate`] dispatch (built for `batch` children of `genes` genes) at
/// another generation, rate or seed, for its next replay.
pub fn set_mutation(gpu: &Gpu, d: &Dispatch, batch: usize, genes: usize, m: &Mutation) {
    d.write_uniform(gpu, &mutate_params(batch, genes, m));
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RenderParams {
    n: u32,
    scale: f32,
    _pad: [u32; 2],
}

/// `x = floor(clamp(genes, 0, 1) · 255) · scale`, element-wise.
pub fn render_grey(gpu: &Gpu, scale: f32, genes: View<'_>, x: View<'_>) -> Result<Dispatch> {
    const K: &str = "render_grey";
    check_len(K, "x", x.len, genes.len)?;
    let grid = grid_for(gpu, K, genes.len.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render.wgsl", shader("render.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &RenderParams {
            n: genes.len as u32,
            scale,
            _pad: [0; 2],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            genes.binding(gpu, "render_grey genes")?,
            x.binding(gpu, "render_grey x")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EliteParams {
    batch: u32,
    classes: u32,
    genes: u32,
    _pad: u32,
}

/// Per class, the best child of `probs` `(batch, classes)` replaces the cell when strictly
/// better than `conf` `(classes)`; `winner` `(classes)` u32 names it, or is `u32::MAX`.
pub fn elite_select(
    gpu: &Gpu,
    batch: usize,
    classes: usize,
    probs: View<'_>,
    conf: View<'_>,
    winner: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_select";
    check_len(K, "probs", probs.len, batch * classes)?;
    check_len(K, "conf", conf.len, classes)?;
    check_len(K, "winner", winner.len, classes)?;
    let grid = grid_for(gpu, K, classes as u64)?;
    let pipeline = gpu.pipeline("elite.wgsl", shader("elite.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &EliteParams {
            batch: batch as u32,
            classes: classes as u32,
            genes: 0,
            _pad: 0,
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            probs.binding(gpu, "elite_select probs")?,
            conf.binding(gpu, "elite_select conf")?,
            winner.binding(gpu, "elite_select winner")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

/// `archive[c, :] = children[winner[c], :]` for every cell with a new elite.
pub fn elite_copy(
    gpu: &Gpu,
    genes: usize,
    children: View<'_>,
    winner: View<'_>,
    archive: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_copy";
    let classes = winner.len;
    let batch = children.len / genes.max(1);
    check_len(K, "archive", archive.len, classes * genes)?;
    check_len(K, "children", children.len, batch * genes)?;
    let grid = grid_for(gpu, K, (classes * genes).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("elite_copy.wgsl", shader("elite_copy.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &EliteParams {
            batch: batch as u32,
            classes: classes as u32,
            genes: genes as u32,
            _pad: 0,
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            children.binding(gpu, "elite_copy children")?,
            winner.binding(gpu, "elite_copy winner")?,
            archive.binding(gpu, "elite_copy archive")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ColorParams {
    pixels: u32,
    plane: u32,
    model: u32,
    _pad: u32,
}

/// Colour genomes `(batch, 3, size, size)` to BGR pixel values `(batch, 3, size, size)`
/// (0–255) through `model` (see shaders/render_color.wgsl).
pub fn render_color(
    gpu: &Gpu,
    model: crate::reference::ColorModel,
    batch: usize,
    size: usize,
    genes: View<'_>,
    bgr: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_color";
    check_len(K, "genes", genes.len, batch * 3 * size * size)?;
    check_len(K, "bgr", bgr.len, batch * 3 * size * size)?;
    let pixels = batch * size * size;
    let grid = grid_for(gpu, K, pixels.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render_color.wgsl", shader("render_color.wgsl"), K, &[])?;
    let model = match model {
        crate::reference::ColorModel::HlsOpencv => 0,
        crate::reference::ColorModel::Hsv => 1,
    };
    let u = gpu.uniform(
        K,
        &ColorParams {
            pixels: pixels as u32,
            plane: (size * size) as u32,
            model,
            _pad: 0,
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            genes.binding(gpu, "render_color genes")?,
            bgr.binding(gpu, "render_color bgr")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct CppnParams {
    batch: u32,
    width: u32,
    height: u32,
    stride: u32,
    max_nodes: u32,
    outputs: u32,
    _pad: [u32; 2],
}

/// Renders `batch` compiled CPPNs (`(batch, cap.stride())` u32) into byte-valued genes
/// `(batch, outputs, height, width)` (see shaders/render_cppn.wgsl).
pub fn render_cppn(
    gpu: &Gpu,
    cap: crate::evo::cppn::Capacity,
    outputs: usize,
    (width, height): (usize, usize),
    programs: View<'_>,
    genes: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_cppn";
    if cap.nodes > 64 || !(1..=3).contains(&outputs) {
        return Err(super::bad_shape(
            K,
            "capacity",
            "at most 64 nodes and 1 to 3 outputs",
            format!("{cap:?}, {outputs} outputs"),
        ));
    }
    let batch = programs.len / cap.stride();
    check_len(K, "programs", programs.len, batch * cap.stride())?;
    check_len(K, "genes", genes.len, batch * outputs * width * height)?;
    let grid = grid_for(gpu, K, (batch * width * height).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render_cppn.wgsl", shader("render_cppn.wgsl"), K, &[])?;
    let params = CppnParams {
        batch: batch as u32,
        width: width as u32,
        height: height as u32,
        stride: cap.stride() as u32,
        max_nodes: cap.nodes as u32,
        outputs: outputs as u32,
        _pad: [0; 2],
    };
    let u = gpu.uniform(K, &params);
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            programs.binding(gpu, "render_cppn programs")?,
            genes.binding(gpu, "render_cppn genes")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}
