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

/// The number of cells of a run on `net`: `cells` when given (checked), else every class.
fn cells(cells: &Option<usize>, net: &crate::nn::Network) -> crate::Result<usize> {
    let classes = net.arch.num_classes();
    match *cells {
        None => Ok(classes),
        Some(n) if (1..=classes).contains(&n) => Ok(n),
        Some(n) => Err(crate::Error::Option {
            option: "--cells".into(),
            message: format!("{n} cells: {} has {classes} classes", net.arch.name),
        }),
    }
}
