//! Evolution: the counter-based random numbers shared with the shaders ([`rng`]),
//! MAP-Elites with the direct encoding ([`DirectSearch`]) built on the kernels of
//! [`crate::kernels`] (`poly_mutate`, `render_grey`, `elite_select`, `elite_copy`), and run
//! directories with checkpoints ([`run`]).

pub mod cppn;
mod cppn_search;
mod direct;
pub mod genomes;
pub mod rng;
pub mod run;

pub use cppn_search::{CppnConfig, CppnSearch};
pub use direct::{Crossover, DirectConfig, DirectSearch, Schedule};
pub use genomes::{Fitness, Genomes, Imaging, IMAGENET_SIZE};
