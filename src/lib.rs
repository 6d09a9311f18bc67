//! `fooling`: a GPU-native engine that evolves, and optimises by gradient, images that a
//! trained classifier labels with high confidence although no person can recognise them
//! (Nguyen, Yosinski, Clune, CVPR 2015).
//!
//! Each module owns one concept; the `fooling` binary (`src/cli/`) only parses options,
//! makes one call into these and prints what came of it.
//!
//! | module | owns | must not |
//! |---|---|---|
//! | [`gpu`] | the device: adapter choice, limits, buffers, pipelines, [`Gpu::submit`] | know any kernel |
//! | [`kernels`] | one launcher per WGSL file of `shaders/` (same stem), the shader table, params layouts | allocate beyond what a launch binds |
//! | [`reference`] | the plain-Rust twins of the kernels, one file per WGSL stem (the tests' oracle) | be needed outside tests, benches and `nn`'s composed CPU networks |
//! | [`imaging`] | colour models, Caffe's crops, reading image files for a network | touch the GPU |
//! | [`nn`] | networks (architectures, weights, forward plans, backward, training, Caffe import) | know about evolution |
//! | [`evo`] | MAP-Elites: the class archive, the direct and CPPN searches, run directories and the `Runner` | print |
//! | [`ascent`] | gradient ascent on the input and its run directory | print |
//! | [`experiments`] | transfer, merge, retraining with a fooling class, the reproduction's plan | re-implement a run |
//! | [`report`] | PNGs and galleries, the typed summary of runs, the HTML report | compute a figure while rendering |
//! | [`data`] | IDX datasets | |
//! | [`io`] | atomic writes, TOML, sha256, PNG encoding | own a file format |
//! | [`stats`] | summary statistics of confidences | |
//! | [`signal`] | the process-wide stop request (Ctrl-C) | |
//! | [`error`] | the crate's one error type | |

pub mod ascent;
pub mod command_line;
pub mod data;
pub mod error;
pub mod evo;
pub mod experiments;
pub mod gpu;
pub mod host_rng;
pub mod imaging;
pub mod io;
pub mod kernels;
pub mod nn;
pub mod reference;
pub mod report;
pub mod rundir;
pub mod signal;
pub mod stats;

pub use error::{Error, Result};
pub use gpu::{Gpu, GpuOptions};
