//! The network a run was made against, loaded as the run recorded it and checked against the
//! sha256 it recorded: what ablate and merge score champions with.

use crate::error::{Error, Result};
use crate::rundir::{Config, RunDir};
use std::path::Path;

/// The network a run was made against, as it recorded it.
pub(crate) struct RunNetwork {
    pub loaded: crate::nn::Loaded,
    pub crops: Option<usize>,
    pub cppn: bool,
}

/// The network of the run in `dir`, loaded and checked against the sha256 it recorded.
pub(crate) fn run_network(dir: &Path) -> Result<RunNetwork> {
    let run = RunDir::open_given(dir, "run")?;
    let (net, file, sha, preprocess, crops, cppn, config) = match &run.config {
        Config::Evolution(c) => (
            c.net.clone(),
            c.weights.clone(),
            c.weights_sha256.clone(),
            c.preprocess.clone(),
            c.color.as_ref().map(|k| k.crops),
            c.encoding() == crate::evo::Encoding::Cppn,
            "config.toml",
        ),
        Config::Ascent(c) => (
            c.net.clone(),
            c.weights.clone(),
            c.weights_sha256.clone(),
            c.preprocess.clone(),
            None,
            false,
            "config.toml",
        ),
        Config::Merged(m) => {
            // the runs it merged say how their images were made and scored
            let first = m.runs.first().ok_or_else(|| Error::Data {
                path: dir.join("merged.toml"),
                message: "names no runs".into(),
            })?;
            let source = run_network(first).map_err(|e| Error::Data {
                path: dir.join("merged.toml"),
                message: format!("its first run {} cannot be read: {e}", first.display()),
            })?;
            if source.loaded.sha256 != m.weights_sha256 {
                return Err(Error::Data {
                    path: dir.join("merged.toml"),
                    message: format!(
                        "merged runs against weights with sha256 {}, but its first run {} now loads {}",
                        m.weights_sha256,
                        first.display(),
                        source.loaded.sha256
                    ),
                });
            }
            return Ok(source);
        }
        Config::Retraining(_) => {
            return Err(Error::setting_value(
                "run",
                dir.display(),
                "is a retraining study: ablate one of its runs",
            ))
        }
    };
    let loaded = crate::nn::load_recorded(&net, &file, preprocess.as_ref(), &dir.join(config))?;
    if loaded.sha256 != sha {
        return Err(Error::Data {
            path: dir.join(config),
            message: format!(
                "the run was made against {} with sha256 {sha}, which now has {}: ablating against other weights would mislead",
                file.display(),
                loaded.sha256
            ),
        });
    }
    Ok(RunNetwork {
        loaded,
        crops,
        cppn,
    })
}
