//! What a run's configuration opens: how its genomes become the network's input, and the
//! search that evolves them.

use super::{RunConfig, Search, SearchConfig};
use crate::command_line::flag;
use crate::error::{Error, Result};
use crate::evo::{CppnSearch, DirectSearch, Imaging};
use crate::gpu::Gpu;
use crate::io::sha256_file;
use crate::nn::{self, Network};
use std::path::Path;

/// How a run's genomes become the network's input: grey, or colour with its crops and its
/// mean image (whose file must be unchanged when resuming).
pub(super) fn imaging_of(
    config: &RunConfig,
    arch: &nn::Arch,
    resume: bool,
    changed: &dyn Fn(&str, &Path) -> Error,
) -> Result<Imaging> {
    Ok(match &config.color {
        None => Imaging::Grey,
        Some(c) => {
            let [_, h, w] = arch.input;
            let mean = match &c.mean_image {
                Some(p) => {
                    if resume && Some(sha256_file(p)?) != c.mean_image_sha256 {
                        return Err(changed("mean image", p));
                    }
                    let px = crate::imaging::load::load_color_cropped(p, w, h, arch.pixels.order)
                        .map_err(|e| Error::setting("mean_image", e.to_string()))?;
                    Some(px.iter().map(|&v| v as f32).collect())
                }
                None => None,
            };
            Imaging::color(arch, c.model, c.genome_size(), c.crops, mean)?
        }
    })
}

/// The search of `n` runs of `config` on `net`: the direct encoding's batch, or one CPPN run.
pub(super) fn search_of<'g>(
    gpu: &'g Gpu,
    net: Network,
    config: &RunConfig,
    imaging: Imaging,
    n: usize,
) -> Result<Box<dyn Search + 'g>> {
    Ok(match &config.search {
        SearchConfig::Direct(d) => Box::new(DirectSearch::batch_of_runs(
            gpu,
            net,
            d.clone(),
            imaging,
            n,
        )?),
        SearchConfig::Cppn(c) if n == 1 => {
            Box::new(CppnSearch::with_imaging(gpu, net, c.clone(), imaging)?)
        }
        SearchConfig::Cppn(_) => {
            return Err(Error::setting(
                "runs",
                format!(
                    "{n} runs in one batch need the direct encoding; run CPPN runs one by one ({})",
                    flag("run_index")
                ),
            ))
        }
    })
}
