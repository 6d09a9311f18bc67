//! Evolution: the counter-based random numbers shared with the shaders ([`rng`]),
//! MAP-Elites with the direct encoding ([`DirectSearch`]) built on the kernels of
//! [`crate::kernels`] (`poly_mutate`, `render_grey`, `elite_select`, `elite_copy`), and run
//! directories with checkpoints ([`run`]).

pub mod archive;
pub mod cppn;
mod cppn_search;
mod direct;
pub mod genomes;
pub mod rng;
pub mod run;

pub use cppn_search::{CppnConfig, CppnSearch};

/// How a genome makes an image.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// One gene per pixel, polynomial mutation (docs/paper.md §3).
    Direct,
    /// CPPNs grown NEAT-style (docs/paper.md §4), the whole batch rendered in one dispatch.
    Cppn,
}

impl Encoding {
    /// The encoding as its option value and `config.toml` name it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Direct => "direct",
            Encoding::Cppn => "cppn",
        }
    }
}
pub use direct::{Crossover, DirectConfig, DirectSearch, Schedule};
pub use genomes::{color_size, Fitness, Genomes, Imaging, IMAGENET_SIZE};

/// Checks what both searches need of their settings and returns the number of cells: `cells`
/// when given (at most the network's classes), else every class.
fn check(
    net: &crate::nn::Network,
    imaging: &Imaging,
    batch: usize,
    cells: &Option<usize>,
    encoding: &str,
) -> crate::Result<usize> {
    use crate::Error;
    let c = net.arch.input[0];
    if *imaging == Imaging::Grey && c != 1 {
        return Err(Error::Setting {
            value: None,
            key: "encoding",
            message: format!(
                "the grey {encoding} encoding needs a 1-channel network; {} takes {c} channels",
                net.arch.name
            ),
        });
    }
    if batch == 0 {
        return Err(Error::Setting {
            value: None,
            key: "batch",
            message: "must be at least 1".into(),
        });
    }
    let classes = net.arch.num_classes();
    match *cells {
        None => Ok(classes),
        Some(n) if (1..=classes).contains(&n) => Ok(n),
        Some(n) => Err(Error::Setting {
            value: None,
            key: "cells",
            message: format!("{n} cells: {} has {classes} classes", net.arch.name),
        }),
    }
}
