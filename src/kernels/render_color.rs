//! Launchers of `render_color_crops`, `render_color` (shaders/render_color.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct ColorParams for [RenderColor] {
        pub(super) items: u32,
        pub(super) first: u32,
        pub(super) size: u32,
        pub(super) crop: u32,
        pub(super) crops: u32,
        pub(super) model: u32,
        pub(super) rgb: u32,
        pub(super) mean_image_on: u32,
        pub(super) mean: [f32; 4],
        pub(super) inv_std: [f32; 4],
    }
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
    let [m0, m1, m2] = r.mean;
    let [s0, s1, s2] = r.inv_std;
    // unread without a mean image: any buffer fills the slot
    let mean = mean_image.unwrap_or(genes);
    launch(
        gpu,
        K,
        (Shader::RenderColor, K, &[]),
        &[("genes", genes), ("mean image", mean), ("x", x)],
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
