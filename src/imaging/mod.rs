//! Images on the host: the colour models of genomes ([`color`]), Caffe's crops of an
//! ImageNet image ([`crops`]), reading image files for a network ([`load`]), and an
//! image's repeated elements, occluded patches and removed copies ([`repeats`], for
//! `fooling ablate`). Nothing here touches the GPU; the device renders genomes with the
//! kernels of `render_color.wgsl`.

pub mod color;
pub mod crops;
pub mod load;
pub mod repeats;

pub use color::ColorModel;
