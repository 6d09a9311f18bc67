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
    first_child: u32,
    first_cell: u32,
    cells: u32,
    _pad: u32,
}

/// Where a block of an archive and a block of children start, for the kernels that run once
/// per pair of blocks when genomes exceed one binding (`Offsets::default()`: one block each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offsets {
    /// The first cell of the archive block.
    pub cell: usize,
    /// The first child of the children block.
    pub child: usize,
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
/// `(cells, genes)`, `parent` and `mate` `(all children)` u32, `children` `(batch, genes)`.
/// With `at` other than the default, `parents` holds the cells from `at.cell` and `children`
/// the children from `at.child`, and only the children whose parent is in `parents` are written.
#[allow(clippy::too_many_arguments)]
pub fn poly_mutate(
    gpu: &Gpu,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    parents: View<'_>,
    parent: View<'_>,
    mate: View<'_>,
    children: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "poly_mutate";
    let batch = children.len / genes.max(1);
    check_len(K, "children", children.len, batch * genes)?;
    check_len(K, "mate", mate.len, parent.len)?;
    if at.child + batch > parent.len {
        return Err(super::bad_shape(
            K,
            "parent",
            "an entry for every child",
            format!(
                "{} entries for children {}..{}",
                parent.len,
                at.child,
                at.child + batch
            ),
        ));
    }
    check_len(
        K,
        "parents (a multiple of genes)",
        parents.len % genes.max(1),
        0,
    )?;
    let cells = parents.len / genes.max(1);
    let grid = grid_for(gpu, K, (batch * genes).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("poly_mutate.wgsl", shader("poly_mutate.wgsl"), K, &[])?;
    let u = gpu.uniform(K, &mutate_params(batch, genes, m, at, cells));
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

fn mutate_params(
    batch: usize,
    genes: usize,
    m: &Mutation,
    at: Offsets,
    cells: usize,
) -> MutateParams {
    MutateParams {
        first_child: at.child as u32,
        first_cell: at.cell as u32,
        cells: cells as u32,
        _pad: 0,
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

/// Points a [`poly_mutate`] dispatch (built for `batch` children of `genes` genes, blocks at
/// `at`, `cells` cells in its archive block) at another generation, rate or seed, for its
/// next replay.
pub fn set_mutation(
    gpu: &Gpu,
    d: &Dispatch,
    (batch, genes, cells): (usize, usize, usize),
    at: Offsets,
    m: &Mutation,
) {
    d.write_uniform(gpu, &mutate_params(batch, genes, m, at, cells));
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RenderParams {
    n: u32,
    scale: f32,
    first: u32,
    _pad: u32,
}

/// `x[i] = floor(clamp(genes[first + i], 0, 1) · 255) · scale` for every element of `x`.
pub fn render_grey(
    gpu: &Gpu,
    scale: f32,
    genes: View<'_>,
    first: usize,
    x: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_grey";
    if first + x.len > genes.len {
        return Err(super::bad_shape(
            K,
            "genes",
            "first + x's length elements at least",
            format!("{} elements, first {first}, x {}", genes.len, x.len),
        ));
    }
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render.wgsl", shader("render.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &RenderParams {
            n: x.len as u32,
            scale,
            first: first as u32,
            _pad: 0,
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
    stride: u32,
    _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct CopyParams {
    batch: u32,
    classes: u32,
    genes: u32,
    first_child: u32,
    first_cell: u32,
    _pad: [u32; 3],
}

/// Per class, the best child of `probs` `(batch, stride)` replaces the cell when strictly
/// better than `conf` `(classes)`; `winner` `(classes)` u32 names it, or is `u32::MAX`. The
/// cells are the first `classes` of each row's `stride ≥ classes` columns.
pub fn elite_select(
    gpu: &Gpu,
    batch: usize,
    classes: usize,
    probs: View<'_>,
    conf: View<'_>,
    winner: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_select";
    let stride = probs.len / batch.max(1);
    check_len(K, "probs", probs.len, batch * stride)?;
    if stride < classes {
        return Err(super::bad_shape(
            K,
            "probs",
            "a row of at least one column per cell",
            format!("{stride} columns for {classes} cells"),
        ));
    }
    check_len(K, "conf", conf.len, classes)?;
    check_len(K, "winner", winner.len, classes)?;
    let grid = grid_for(gpu, K, classes as u64)?;
    let pipeline = gpu.pipeline("elite.wgsl", shader("elite.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &EliteParams {
            batch: batch as u32,
            classes: classes as u32,
            stride: stride as u32,
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

/// `archive[c, :] = children[winner[c], :]` for every cell with a new elite. With `at` other
/// than the default, `archive` holds the cells from `at.cell` and `children` the children
/// from `at.child`; a cell is written when its winner is in `children`.
pub fn elite_copy(
    gpu: &Gpu,
    genes: usize,
    at: Offsets,
    children: View<'_>,
    winner: View<'_>,
    archive: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_copy";
    let classes = archive.len / genes.max(1);
    let batch = children.len / genes.max(1);
    check_len(K, "archive", archive.len, classes * genes)?;
    check_len(K, "children", children.len, batch * genes)?;
    if at.cell + classes > winner.len {
        return Err(super::bad_shape(
            K,
            "winner",
            "an entry for every cell",
            format!(
                "{} entries for cells {}..{}",
                winner.len,
                at.cell,
                at.cell + classes
            ),
        ));
    }
    // 16 genes per invocation (GENES_PER in the shader)
    let grid = grid_for(gpu, K, (classes * genes.div_ceil(16)).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("elite_copy.wgsl", shader("elite_copy.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &CopyParams {
            batch: batch as u32,
            classes: classes as u32,
            genes: genes as u32,
            first_child: at.child as u32,
            first_cell: at.cell as u32,
            _pad: [0; 3],
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
    items: u32,
    first: u32,
    size: u32,
    crop: u32,
    crops: u32,
    model: u32,
    rgb: u32,
    mean_image_on: u32,
    mean: [f32; 4],
    inv_std: [f32; 4],
}

/// How colour genomes become a network's input (see shaders/render_color.wgsl): `size ×
/// size` genomes through `model` to BGR bytes, `crops` crops of `crop × crop` (1: the centre;
/// 10: Caffe's corners, centre and their mirrors), planes in RGB order when `rgb`, then
/// `(pixel − mean[c] − mean image) · inv_std[c]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColorRender {
    pub model: crate::imaging::ColorModel,
    pub size: usize,
    pub crop: usize,
    pub crops: usize,
    pub rgb: bool,
    pub mean: [f32; 3],
    pub inv_std: [f32; 3],
}

impl ColorRender {
    /// Genes of one genome: `3 × size × size`.
    pub fn genes(&self) -> usize {
        3 * self.size * self.size
    }

    /// Input values of one crop: `3 × crop × crop`.
    pub fn crop_len(&self) -> usize {
        3 * self.crop * self.crop
    }
}

/// Renders genomes `first .. first + items` of `genes` into `x` `(items · crops, 3, crop,
/// crop)`, subtracting `mean_image` `(3, crop, crop)` too when given.
pub fn render_color_crops(
    gpu: &Gpu,
    r: &ColorRender,
    genes: View<'_>,
    first: usize,
    mean_image: Option<View<'_>>,
    x: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_color";
    if !(r.crops == 1 || r.crops == 10) || r.crop == 0 || r.crop > r.size {
        return Err(super::bad_shape(
            K,
            "crops",
            "1 or 10 crops no larger than the genome",
            format!("{} crops of {} from {}", r.crops, r.crop, r.size),
        ));
    }
    let items = x.len / (r.crops * r.crop_len());
    check_len(K, "x", x.len, items * r.crops * r.crop_len())?;
    if (first + items) * r.genes() > genes.len {
        return Err(super::bad_shape(
            K,
            "genes",
            "genomes first .. first + items",
            format!(
                "{} genomes, first {first}, items {items}",
                genes.len / r.genes()
            ),
        ));
    }
    if let Some(m) = mean_image {
        check_len(K, "mean_image", m.len, r.crop_len())?;
    }
    let invocations = items * r.crops * r.crop * r.crop;
    let grid = grid_for(gpu, K, invocations.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render_color.wgsl", shader("render_color.wgsl"), K, &[])?;
    let [m0, m1, m2] = r.mean;
    let [s0, s1, s2] = r.inv_std;
    let u = gpu.uniform(
        K,
        &ColorParams {
            items: items as u32,
            first: first as u32,
            size: r.size as u32,
            crop: r.crop as u32,
            crops: r.crops as u32,
            model: match r.model {
                crate::imaging::ColorModel::HlsOpencv => 0,
                crate::imaging::ColorModel::Hsv => 1,
            },
            rgb: r.rgb as u32,
            mean_image_on: mean_image.is_some() as u32,
            mean: [m0, m1, m2, 0.0],
            inv_std: [s0, s1, s2, 0.0],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            genes.binding(gpu, "render_color genes")?,
            // unread without a mean image: any buffer fills the slot
            mean_image
                .unwrap_or(genes)
                .binding(gpu, "render_color mean image")?,
            x.binding(gpu, "render_color x")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

/// Colour genomes `(batch, 3, size, size)` to BGR pixel values `(batch, 3, size, size)`
/// (0–255) through `model`: [`render_color_crops`] with one full-size crop and no mean.
pub fn render_color(
    gpu: &Gpu,
    model: crate::imaging::ColorModel,
    batch: usize,
    size: usize,
    genes: View<'_>,
    bgr: View<'_>,
) -> Result<Dispatch> {
    check_len("render_color", "genes", genes.len, batch * 3 * size * size)?;
    check_len("render_color", "bgr", bgr.len, batch * 3 * size * size)?;
    let r = ColorRender {
        model,
        size,
        crop: size,
        crops: 1,
        rgb: false,
        mean: [0.0; 3],
        inv_std: [1.0; 3],
    };
    render_color_crops(gpu, &r, genes, 0, None, bgr)
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MeanParams {
    items: u32,
    crops: u32,
    classes: u32,
    first: u32,
}

/// `out[first + i, :]` = the mean of rows `i · crops .. (i + 1) · crops` of `probs`
/// `(items · crops, classes)`, for every item (see shaders/crop_mean.wgsl).
pub fn crop_mean(
    gpu: &Gpu,
    crops: usize,
    classes: usize,
    probs: View<'_>,
    first: usize,
    out: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "crop_mean";
    let items = probs.len / (crops * classes).max(1);
    check_len(K, "probs", probs.len, items * crops * classes)?;
    if (first + items) * classes > out.len {
        return Err(super::bad_shape(
            K,
            "out",
            "rows first .. first + items",
            format!(
                "{} rows, first {first}, items {items}",
                out.len / classes.max(1)
            ),
        ));
    }
    let grid = grid_for(gpu, K, (items * classes).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("crop_mean.wgsl", shader("crop_mean.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &MeanParams {
            items: items as u32,
            crops: crops as u32,
            classes: classes as u32,
            first: first as u32,
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            probs.binding(gpu, "crop_mean probs")?,
            out.binding(gpu, "crop_mean out")?,
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
    first: u32,
    _pad: u32,
}

/// Renders compiled CPPNs `first ..` of `programs` (`(.., cap.stride())` u32), as many as
/// `genes` holds, into byte-valued genes `(batch, outputs, height, width)` (see
/// shaders/render_cppn.wgsl).
pub fn render_cppn(
    gpu: &Gpu,
    cap: crate::evo::cppn::Capacity,
    outputs: usize,
    (width, height): (usize, usize),
    programs: View<'_>,
    first: usize,
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
    let batch = genes.len / (outputs * width * height).max(1);
    check_len(K, "genes", genes.len, batch * outputs * width * height)?;
    if (first + batch) * cap.stride() > programs.len {
        return Err(super::bad_shape(
            K,
            "programs",
            "programs first .. first + batch",
            format!(
                "{} programs, first {first}, batch {batch}",
                programs.len / cap.stride()
            ),
        ));
    }
    let grid = grid_for(gpu, K, (batch * width * height).div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("render_cppn.wgsl", shader("render_cppn.wgsl"), K, &[])?;
    let params = CppnParams {
        batch: batch as u32,
        width: width as u32,
        height: height as u32,
        stride: cap.stride() as u32,
        max_nodes: cap.nodes as u32,
        outputs: outputs as u32,
        first: first as u32,
        _pad: 0,
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
