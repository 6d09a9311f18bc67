//! A user's own network from an ONNX file: the protobuf parsed by prost (`proto`), weights
//! inline or in external data files beside the model (`tensor`), constant subgraphs folded
//! for the fixed input size (`fold`), and the graph translated into the crate's layers
//! (`import`), with the preprocessing the model expects (`super::preprocess`). Any
//! operator, attribute or type the engine does not take is an error naming the file, the
//! node and its operator.

mod fold;
mod import;
pub mod proto;
mod tensor;

pub use import::supported;

use super::preprocess::{Preprocess, Source};
use super::weights::Weights;
use super::Arch;
use crate::error::{Error, Result};
use prost::Message;
use std::path::Path;

/// The opsets of the default domain the importer reads (its operators mean the same in each).
pub const OPSETS: std::ops::RangeInclusive<i64> = 11..=23;

/// A model loaded for the device.
#[derive(Clone, Debug)]
pub struct OnnxModel {
    pub arch: Arch,
    pub weights: Weights,
    /// The sha256 of the model file and, after it, of each external data file it reads.
    pub sha256: String,
    /// The preprocessing it is given, every default filled in.
    pub preprocess: Preprocess,
    pub opset: i64,
    /// Who wrote the file (`pytorch 2.15.0`).
    pub producer: String,
}

/// The most nodes a graph may have: far past any real classifier (EfficientNet-B7 exports to
/// about 3,000), so that work and memory stay bounded whatever a file holds.
pub const MAX_NODES: usize = 20_000;

/// Whether `net` (as `--net` gives it) names an ONNX file.
pub fn is_onnx(net: &str) -> bool {
    net.to_ascii_lowercase().ends_with(".onnx")
}

/// Loads the model in `path` with `given` preprocessing: the command line's, which wins over
/// the model's sidecar `PATH.toml`; or, with `recorded`, the preprocessing a run recorded in
/// that file, used as it is (no sidecar) when a run resumes and named as its keys in errors.
pub fn load(path: &Path, given: &Preprocess, recorded: Option<&Path>) -> Result<OnnxModel> {
    let bytes = crate::io::read::read(path, crate::io::read::MODEL)?;
    from_bytes(path, &bytes, given, recorded)
}

/// As [`load`], from the model's bytes; `path` names it in errors, and external data files
/// are read from its directory.
pub fn from_bytes(
    path: &Path,
    bytes: &[u8],
    given: &Preprocess,
    recorded: Option<&Path>,
) -> Result<OnnxModel> {
    let err = |message: String| Error::Onnx {
        path: path.into(),
        message,
    };
    let (model, opset) = decode(bytes, &err)?;
    let graph = model.graph.as_ref().ok_or_else(|| err("no graph".into()))?;
    let given_source = match recorded {
        Some(file) => Source::File(file),
        None => Source::CommandLine,
    };
    let sidecar = if recorded.is_some() {
        None
    } else {
        Preprocess::sidecar(path)?
    };
    // the size, named as the setting that gave it
    let size = match (given.input_size, &sidecar) {
        (Some(s), _) => Some((s, given_source)),
        (None, Some((file, p))) => p.input_size.map(|s| (s, Source::File(file))),
        (None, None) => None,
    };
    let image = import::input_shape(path, graph, size)?;
    let input = image.shape;
    given.check(input[0], given_source)?;
    if let Some((file, p)) = &sidecar {
        p.check(input[0], Source::File(file))?;
    }
    let imported = import::import(path, graph, image)?;
    let mut arch = imported.arch;
    let preprocess = match &sidecar {
        Some((file, p)) => {
            // labels from the command line are checked as given; the sidecar's in its file
            let merged = given.clone().or(p.clone());
            let source = if given.labels.is_some() {
                given_source
            } else {
                Source::File(file)
            };
            merged.apply(&mut arch, source)?;
            merged
        }
        None => {
            given.apply(&mut arch, given_source)?;
            given.clone()
        }
    }
    .resolved(input[0]);
    let weights = Weights {
        tensors: imported.tensors,
    };
    weights.check(path, &arch)?;
    Ok(OnnxModel {
        arch,
        weights,
        sha256: sha256(path, bytes, graph)?,
        preprocess,
        opset,
        producer: format!("{} {}", model.producer_name(), model.producer_version())
            .trim()
            .to_string(),
    })
}

/// The model in `bytes`, with the version of the standard operators it uses: one fooling
/// reads, and a graph of at most [`MAX_NODES`] nodes.
fn decode(bytes: &[u8], err: &dyn Fn(String) -> Error) -> Result<(proto::ModelProto, i64)> {
    let model = proto::ModelProto::decode(bytes).map_err(|e| {
        err(format!(
            "not a readable ONNX model (truncated or corrupt protobuf?): {e}"
        ))
    })?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| matches!(o.domain(), "" | "ai.onnx"))
        .map(|o| o.version())
        .ok_or_else(|| err("no opset of the standard ONNX operators".into()))?;
    if !OPSETS.contains(&opset) {
        return Err(err(format!(
            "opset {opset}: fooling reads opsets {} to {}",
            OPSETS.start(),
            OPSETS.end()
        )));
    }
    let nodes = model.graph.as_ref().map_or(0, |g| g.node.len());
    if nodes > MAX_NODES {
        return Err(err(format!(
            "{nodes} nodes: fooling takes graphs of at most {MAX_NODES} nodes (the largest common CNNs have a few thousand)"
        )));
    }
    Ok((model, opset))
}

/// The sha256 of the model's bytes followed by those of each external data file it reads
/// (in the order the tensors name them), as lower-case hex. Only tensors stored externally
/// name files; each lies inside the model's directory.
fn sha256(path: &Path, bytes: &[u8], graph: &proto::GraphProto) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(bytes);
    let mut seen = Vec::new();
    let external = graph
        .initializer
        .iter()
        .filter(|t| t.data_location() == proto::tensor_proto::DataLocation::External);
    for t in external {
        for e in t.external_data.iter().filter(|e| e.key() == "location") {
            if !seen.contains(&e.value().to_string()) {
                seen.push(e.value().to_string());
            }
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for loc in seen {
        let p = crate::io::read::inside(dir, Path::new(&loc), "external data location")?;
        crate::io::read::hash_into(&mut h, &p, crate::io::read::MODEL)?;
    }
    Ok(format!("{:x}", h.finalize()))
}
