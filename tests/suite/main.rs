//! The test suite, in one binary (one link instead of one per file, which a fresh clone's
//! build and a device check both feel): each module is what was a file of `tests/`, and
//! `common` their shared harness. `cargo test` runs all of it; `cargo test --test suite
//! onnx::` one module.

mod common;

mod ablate;
mod ascent;
mod backward;
mod caffenet;
mod cli;
mod color;
mod convert;
mod converters;
mod cppn;
mod data;
mod evo;
mod evolve;
mod experiments;
mod fuzz;
mod golden;
mod graph_kernels;
mod hardening;
mod hostile;
mod imagenet_evolve;
mod kernels;
mod lenet;
mod messages;
mod onnx;
mod onnx_cli;
mod reads;
mod report;
mod rundirs;
mod runs;
mod shaders;
mod split;
mod train;
mod untrusted;
mod weights;
mod writes;
