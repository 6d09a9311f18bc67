//! Images on the host: the colour models of genomes ([`color`]), Caffe's crops of an
//! ImageNet image ([`crops`]), and reading image files for a network ([`load`]). Nothing here
//! touches the GPU; the device renders genomes with the kernels of `render_color.wgsl`.

pub mod color;
pub mod crops;
pub mod load;

pub use color::ColorModel;
