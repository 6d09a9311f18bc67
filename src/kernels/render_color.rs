//! Launchers of `render_color_crops`, `render_color` (shaders/render_color.wgsl).

use super::{check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct ColorParams for [RenderColor] {
        pub(super) items: u32,
        pub(super) first: u32,
        pub(super) size_h: u32,
        pub(super) size_w: u32,
        pub(super) crop_h: u32,
        pub(super) crop_w: u32,
        pub(super) crops: u32,
        pub(super) model: u32,
        pub(super) rgb: u32,
        pub(super) mean_image_on: u32,
        pub(super) _pad: [u32; 2],
        pub(super) mean: [f32; 4],
        pub(super) inv_std: [f32; 4],
    }
}

/// How colour genomes become a network's input (see shaders/render_color.wgsl): genomes of
/// `size` `(height, width)` through `model` to BGR bytes, `crops` crops of `crop` `(height,
/// width)` (1: the centre; 10: Caffe's corners, centre and their mirrors), planes in RGB
/// order when `rgb`, then `(pixel − mean[c] − mean image) · inv_std[c]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColorRender {
    pub model: crate::imaging::ColorModel,
    /// `(height, width)` of a genome.
    pub size: [usize; 2],
    /// `(height, width)` of a crop: the network's input.
    pub crop: [usize; 2],
    pub crops: usize,
    pub rgb: bool,
    pub mean: [f32; 3],
    pub inv_std: [f32; 3],
}

impl ColorRender {
    /// Genes of one genome: `3 × height × width`.
    pub fn genes(&self) -> usize {
        3 * self.size[0] * self.size[1]
    }

    /// Input values of one crop: `3 × height × width`.
    pub fn crop_len(&self) -> usize {
        3 * self.crop[0] * self.crop[1]
    }
}

/// Renders genomes `first .. first + items` of `genes` into `x` `(items · crops, 3, crop_h,
/// crop_w)`, subtracting `mean_image` `(3, crop_h, crop_w)` too when given.
pub fn render_color_crops(
    gpu: &Gpu,
    r: &ColorRender,
    genes: View<'_>,
    first: usize,
    mean_image: Option<View<'_>>,
    x: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "render_color";
    let fits = (0..2).all(|a| r.crop[a] > 0 && r.crop[a] <= r.size[a]);
    if !(r.crops == 1 || r.crops == 10) || !fits {
        return Err(super::bad_shape(
            K,
            "crops",
            "1 or 10 crops no larger than the genome",
            format!(
                "{} crops of {}x{} from {}x{}",
                r.crops, r.crop[1], r.crop[0], r.size[1], r.size[0]
            ),
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
    let invocations = items * r.crops * r.crop[0] * r.crop[1];
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
            size_h: r.size[0] as u32,
            size_w: r.size[1] as u32,
            crop_h: r.crop[0] as u32,
            crop_w: r.crop[1] as u32,
            crops: r.crops as u32,
            model: match r.model {
                crate::imaging::ColorModel::HlsOpencv => 0,
                crate::imaging::ColorModel::Hsv => 1,
            },
            rgb: r.rgb as u32,
            mean_image_on: mean_image.is_some() as u32,
            _pad: [0; 2],
            mean: [m0, m1, m2, 0.0],
            inv_std: [s0, s1, s2, 0.0],
        },
        grid,
    )
}

/// Colour genomes `(batch, 3, h, w)` (`size` = `(h, w)`) to BGR pixel values `(batch, 3, h,
/// w)` (0–255) through `model`: [`render_color_crops`] with one full-size crop and no mean.
pub fn render_color(
    gpu: &Gpu,
    model: crate::imaging::ColorModel,
    batch: usize,
    size: [usize; 2],
    genes: View<'_>,
    bgr: View<'_>,
) -> Result<Dispatch> {
    let plane = size[0] * size[1];
    check_len("render_color", "genes", genes.len, batch * 3 * plane)?;
    check_len("render_color", "bgr", bgr.len, batch * 3 * plane)?;
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
