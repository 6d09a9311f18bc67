//! The network a command is given, loaded: a built-in architecture (`--net lenet`) with its
//! weights file (`--weights`, else the shipped one), or a user's ONNX model (`--net
//! FILE.onnx`, which carries its weights) with its preprocessing. One home for what every
//! command (classify, evolve, ascent, transfer) does to get a network, and for what a run
//! records of it to load the same network again.

use super::onnx;
use super::preprocess::Preprocess;
use super::{by_name, shipped_weights, Arch, Weights};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A loaded network and where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub arch: Arch,
    pub weights: Weights,
    /// The weights file, or the ONNX model, as an absolute path.
    pub file: PathBuf,
    /// Its sha256 (an ONNX model's with its external data's).
    pub sha256: String,
    /// An ONNX model's preprocessing, every default filled in (`None` for the built-in
    /// networks, whose preprocessing is their own).
    pub preprocess: Option<Preprocess>,
}

impl Loaded {
    /// The network as a run records it: a built-in network's name, or the ONNX model's
    /// absolute path (so that `--resume` finds it from any working directory).
    pub fn recorded_net(&self, net: &str) -> String {
        if onnx::is_onnx(net) {
            self.file.display().to_string()
        } else {
            net.to_string()
        }
    }
}

/// Loads `net` (a built-in name, or an ONNX file) with `weights` (built-in networks only;
/// `None`: the shipped ones) and the `given` preprocessing (ONNX models only; a sidecar
/// `FILE.onnx.toml` gives what the command line leaves open).
pub fn load(net: &str, weights: Option<&Path>, given: &Preprocess) -> Result<Loaded> {
    if onnx::is_onnx(net) {
        if let Some(w) = weights {
            return Err(Error::setting_value(
                "weights",
                w.display(),
                format!("{net} is an ONNX model, which carries its own weights"),
            ));
        }
        return load_onnx(Path::new(net), given, None);
    }
    if !given.is_empty() {
        return Err(Error::setting(
            given.keys()[0],
            format!("is for ONNX models; {net} takes its own preprocessing"),
        ));
    }
    let file = match weights {
        Some(p) => p.to_path_buf(),
        None => shipped_weights(net)?,
    };
    let (arch, weights) = Weights::load_sized(&file, by_name(net)?)?;
    arch.check_classes().map_err(|message| Error::Weights {
        path: file.clone(),
        message,
    })?;
    Ok(Loaded {
        sha256: crate::io::sha256_file(&file)?,
        arch,
        weights,
        file: crate::io::absolute(&file),
        preprocess: None,
    })
}

/// Loads the network a run recorded in `config` (its `config.toml`): `net` with `file` (its
/// weights, or the ONNX model itself) and, for an ONNX model, the preprocessing the run
/// recorded, used as it is (a sidecar written since does not change a run).
pub fn load_recorded(
    net: &str,
    file: &Path,
    preprocess: Option<&Preprocess>,
    config: &Path,
) -> Result<Loaded> {
    if onnx::is_onnx(net) {
        let recorded = preprocess.cloned().unwrap_or_default();
        return load_onnx(Path::new(net), &recorded, Some(config));
    }
    load(net, Some(file), &Preprocess::default())
}

fn load_onnx(path: &Path, given: &Preprocess, recorded: Option<&Path>) -> Result<Loaded> {
    let m = onnx::load(path, given, recorded)?;
    m.arch.check_classes().map_err(|message| Error::Onnx {
        path: path.into(),
        message,
    })?;
    Ok(Loaded {
        arch: m.arch,
        weights: m.weights,
        file: crate::io::absolute(path),
        sha256: m.sha256,
        preprocess: Some(m.preprocess),
    })
}

/// Refuses an ONNX model for `command`, which takes only the built-in architectures.
pub fn builtin_only(net: &str, command: &str) -> Result<()> {
    if onnx::is_onnx(net) {
        return Err(Error::setting_value("net", net, format!(
                "{command} takes the built-in architectures (lenet, lenet-fashion, mlp, caffenet, alexnet); an ONNX model can be classified, evolved against, ascended and transferred to"
            )));
    }
    Ok(())
}
