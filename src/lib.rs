//! `fooling`: a GPU-native engine that evolves, and optimises by gradient, images that a
//! trained classifier labels with high confidence although no person can recognise them
//! (Nguyen, Yosinski, Clune, CVPR 2015).
//!
//! Layout: [`gpu`] owns the device; [`kernels`] launch the WGSL shaders of `shaders/`;
//! [`reference`] holds their plain-Rust twins; [`nn`] builds networks from them.

pub mod ascent;
pub mod data;
pub mod error;
pub mod evo;
pub mod experiments;
pub mod gpu;
pub mod imaging;
pub mod io;
pub mod kernels;
pub mod nn;
pub mod reference;
pub mod report;
pub mod signal;
pub mod stats;

pub use error::{Error, Result};
pub use gpu::{Gpu, GpuOptions};
