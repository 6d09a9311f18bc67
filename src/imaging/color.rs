//! Colour models of direct genomes (docs/paper.md §3): how three genes make a pixel.
//! The conversion itself is the shader `to_bgr` of shaders/render_color.wgsl and its twin
//! `reference::color_to_bgr`.

/// Colour models of direct genomes: three genes per pixel, each made a byte by floor(g · 255).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ColorModel {
    /// The authors' code: (H, L, S) bytes through OpenCV's 8-bit HLS2BGR, hue on a 0–180
    /// scale, so hue bytes 180–255 wrap around to 0–150°.
    HlsOpencv,
    /// The paper's text: (H, S, V) bytes through OpenCV's 8-bit HSV2BGR_FULL, hue on the full
    /// byte range.
    Hsv,
}
