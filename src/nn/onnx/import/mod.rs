//! The translation of an ONNX graph into the crate's graph of layers, node by node in the
//! file's (topological) order. What can be computed when the model loads is folded into
//! constants: initializers, `Constant` nodes, and the Shape / Gather / Concat / Unsqueeze
//! chains exporters emit around Reshape and Flatten, evaluated for the model's fixed input
//! size (the batch stays symbolic). Batch normalisations fold into the convolution before
//! them, ReLUs into the convolution or fully-connected layer before them, and a constant
//! added after a fully-connected layer or convolution into its bias, where nothing else
//! reads what they fold away. Values are per image: `(c, h, w)` for an ONNX `(N, C, H, W)`
//! tensor and `(k, 1, 1)` for an `(N, K)` one.

mod input;
mod layers;
mod views;

pub(super) use input::input_shape;

use super::proto::{AttributeProto, GraphProto, NodeProto};
use super::tensor::{decode, Const, Files};
use crate::error::{Error, Result};
use crate::kernels::Activation;
use crate::nn::arch::{Arch, ChannelOrder, Layer, Node, Pixels, PoolKind};
use crate::nn::weights::Tensor;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The batch dimension while shapes fold: `Shape` of a value gives it as its first entry.
const BATCH: i64 = 1 << 40;

/// The operators the importer takes (the error for any other lists them).
pub const SUPPORTED: &[&str] = &[
    "Conv",
    "BatchNormalization",
    "Relu",
    "LeakyRelu",
    "Clip",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Concat",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "ReduceMean",
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Gemm",
    "MatMul",
    "LRN",
    "Dropout",
    "Identity",
    "Softmax",
    "LogSoftmax",
    "Constant",
    "Shape",
    "Gather",
    "Cast",
    "ConstantOfShape",
    "Slice",
];

/// A value computed on the device: its index among the graph's values (0: the input), its
/// shape per image, and its ONNX rank (2 or 4).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Val {
    id: usize,
    shape: [usize; 3],
    rank: usize,
}

/// What an ONNX name stands for.
#[derive(Clone, Debug)]
enum Known {
    Const(Const),
    Val(Val),
}

/// The graph as translated so far.
struct Importer {
    file: PathBuf,
    dir: PathBuf,
    files: Files,
    known: HashMap<String, Known>,
    /// How many nodes (and graph outputs) read each name.
    readers: HashMap<String, usize>,
    /// Initializer names, for naming parameters.
    arch: Arch,
    shapes: Vec<[usize; 3]>,
    tensors: BTreeMap<String, Tensor>,
    used_names: HashSet<String>,
    output: String,
}

/// What [`import`] makes of a model.
pub(super) struct Imported {
    pub arch: Arch,
    pub tensors: BTreeMap<String, Tensor>,
}

fn attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    node.attribute.iter().find(|a| a.name() == name)
}

fn attr_i(node: &NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i())
}

fn attr_f(node: &NodeProto, name: &str, default: f32) -> f32 {
    attr(node, name).map_or(default, |a| a.f())
}

fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

fn attr_s(node: &NodeProto, name: &str) -> String {
    attr(node, name)
        .map(|a| String::from_utf8_lossy(a.s()).into_owned())
        .unwrap_or_default()
}

/// A node's name for messages: its own, else its first output's.
fn node_name(node: &NodeProto) -> String {
    if node.name().is_empty() {
        node.output.first().cloned().unwrap_or_default()
    } else {
        node.name().to_string()
    }
}

/// Translates `graph` (the model in `file`) for input `(c, h, w)`.
pub(super) fn import(
    file: &Path,
    graph: &GraphProto,
    input: (String, [usize; 3]),
) -> Result<Imported> {
    let mut readers: HashMap<String, usize> = HashMap::new();
    for n in &graph.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *readers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.output {
        *readers.entry(o.name().to_string()).or_default() += 1;
    }
    let (input_name, shape) = input;
    let mut im = Importer {
        file: file.into(),
        dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        files: Files::new(),
        known: HashMap::new(),
        readers,
        arch: Arch {
            name: file.display().to_string(),
            input: shape,
            pixels: Pixels {
                order: ChannelOrder::Grey,
                mean: vec![0.0; shape[0]],
                std: vec![1.0; shape[0]],
            },
            nodes: Vec::new(),
            labels: Vec::new(),
        },
        shapes: Vec::new(),
        tensors: BTreeMap::new(),
        used_names: HashSet::new(),
        output: graph.output[0].name().to_string(),
    };
    for t in &graph.initializer {
        let c = decode(t, &im.dir, &mut im.files)
            .map_err(|m| im.error(format!("initializer {:?}: {m}", t.name())))?;
        im.known.insert(t.name().to_string(), Known::Const(c));
    }
    im.known.insert(
        input_name,
        Known::Val(Val {
            id: 0,
            shape,
            rank: 4,
        }),
    );
    for node in &graph.node {
        im.node(node)?;
    }
    im.finish()
}

impl Importer {
    fn error(&self, message: String) -> Error {
        Error::Onnx {
            path: self.file.clone(),
            message,
        }
    }

    fn node_error(&self, node: &NodeProto, message: impl std::fmt::Display) -> Error {
        self.error(format!(
            "node {:?} ({}): {message}",
            node_name(node),
            node.op_type()
        ))
    }

    /// Input `k` of `node` as a value computed on the device.
    fn val(&self, node: &NodeProto, k: usize) -> Result<Val> {
        let name = node.input.get(k).map(String::as_str).unwrap_or_default();
        match self.known.get(name) {
            Some(Known::Val(v)) => Ok(*v),
            Some(Known::Const(_)) => Err(self.node_error(
                node,
                format!("input {name:?} is a constant where a computed value is expected"),
            )),
            None => Err(self.node_error(node, format!("input {name:?} is not defined before it"))),
        }
    }

    /// Input `k` of `node` as a constant (`None` when absent or empty).
    fn konst(&self, node: &NodeProto, k: usize) -> Result<Option<Const>> {
        let name = node.input.get(k).map(String::as_str).unwrap_or_default();
        if name.is_empty() {
            return Ok(None);
        }
        match self.known.get(name) {
            Some(Known::Const(c)) => Ok(Some(c.clone())),
            Some(Known::Val(_)) => Err(self.node_error(
                node,
                format!("input {name:?} must be a constant known when the model loads, not a computed value"),
            )),
            None => Err(self.node_error(node, format!("input {name:?} is not defined before it"))),
        }
    }

    fn need_konst(&self, node: &NodeProto, k: usize) -> Result<Const> {
        self.konst(node, k)?
            .ok_or_else(|| self.node_error(node, format!("input {k} is missing")))
    }

    /// Whether every input of `node` is a constant.
    fn all_const(&self, node: &NodeProto) -> bool {
        node.input
            .iter()
            .filter(|i| !i.is_empty())
            .all(|i| matches!(self.known.get(i), Some(Known::Const(_))))
    }

    fn set(&mut self, node: &NodeProto, k: usize, known: Known) {
        if let Some(name) = node.output.get(k) {
            self.known.insert(name.clone(), known);
        }
    }

    /// Whether only one node reads `node`'s input `k` (so what made it may be changed).
    fn sole_reader(&self, node: &NodeProto, k: usize) -> bool {
        node.input
            .get(k)
            .is_some_and(|n| self.readers.get(n).copied() == Some(1))
    }

    /// A fresh parameter name from `base` (an initializer's name without its `.weight`).
    fn param_name(&mut self, base: &str) -> String {
        let base = base.strip_suffix(".weight").unwrap_or(base);
        let base = if base.is_empty() { "layer" } else { base };
        let mut name = base.to_string();
        let mut k = 2;
        while !self.used_names.insert(name.clone()) {
            name = format!("{base}#{k}");
            k += 1;
        }
        name
    }

    /// Appends a node and returns its output value.
    fn push(
        &mut self,
        node: &NodeProto,
        layer: Layer,
        inputs: Vec<usize>,
        rank: usize,
    ) -> Result<Val> {
        let shape = self
            .arch
            .push(&mut self.shapes, layer, inputs)
            .map_err(|e| self.node_error(node, e))?;
        Ok(Val {
            id: self.arch.nodes.len(),
            shape,
            rank,
        })
    }

    /// The node that computes value `v`, if a node does.
    fn producer(&mut self, v: Val) -> Option<&mut Layer> {
        v.id.checked_sub(1).map(|i| &mut self.arch.nodes[i].layer)
    }

    fn node(&mut self, node: &NodeProto) -> Result<()> {
        if !matches!(node.domain(), "" | "ai.onnx") {
            return Err(self.node_error(
                node,
                format!(
                    "operator domain {:?} is not supported (only the standard ONNX operators)",
                    node.domain()
                ),
            ));
        }
        let op = node.op_type();
        match op {
            "Constant" => self.constant(node),
            "Identity" | "Dropout" => {
                let k = self
                    .known
                    .get(node.input.first().map(String::as_str).unwrap_or_default())
                    .cloned();
                let k =
                    k.ok_or_else(|| self.node_error(node, "its input is not defined before it"))?;
                self.set(node, 0, k);
                Ok(())
            }
            "Shape" | "Gather" | "Cast" | "ConstantOfShape" | "Slice" => self.fold(node),
            "Concat" if self.all_const(node) => self.fold(node),
            "Squeeze" | "Unsqueeze" | "Reshape" | "Add" | "Sub" | "Mul" | "Div"
                if self.all_const(node) =>
            {
                self.fold(node)
            }
            "Conv" => self.conv(node),
            "BatchNormalization" => self.batchnorm(node),
            "Relu" => self.relu(node),
            "LeakyRelu" => self.act(
                node,
                Activation::LeakyRelu {
                    alpha: attr_f(node, "alpha", 0.01),
                },
            ),
            "Sigmoid" => self.act(node, Activation::Sigmoid),
            "Tanh" => self.act(node, Activation::Tanh),
            "HardSigmoid" => self.act(
                node,
                Activation::HardSigmoid {
                    alpha: attr_f(node, "alpha", 0.2),
                    beta: attr_f(node, "beta", 0.5),
                },
            ),
            "HardSwish" => self.act(node, Activation::HardSwish),
            "Clip" => self.clip(node),
            "Add" | "Sub" | "Mul" | "Div" => self.binary(node),
            "Concat" => self.concat(node),
            "MaxPool" | "AveragePool" => self.pool(node),
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let x = self.val(node, 0)?;
                self.spatial_4d(node, x)?;
                let layer = if op == "GlobalAveragePool" {
                    Layer::GlobalAvgPool
                } else {
                    Layer::Pool {
                        kind: PoolKind::Max,
                        kernel: [x.shape[1], x.shape[2]],
                        stride: [x.shape[1], x.shape[2]],
                        pad: [0; 4],
                        ceil: false,
                    }
                };
                let v = self.push(node, layer, vec![x.id], 4)?;
                self.set(node, 0, Known::Val(v));
                Ok(())
            }
            "ReduceMean" => self.reduce_mean(node),
            "Flatten" => self.flatten(node),
            "Reshape" => self.reshape(node),
            "Squeeze" | "Unsqueeze" => self.squeeze(node),
            "Gemm" | "MatMul" => self.linear(node),
            "LRN" => {
                let x = self.val(node, 0)?;
                let layer = Layer::Lrn {
                    size: attr_i(node, "size", 0).max(0) as usize,
                    alpha: attr_f(node, "alpha", 1e-4),
                    beta: attr_f(node, "beta", 0.75),
                    k: attr_f(node, "bias", 1.0),
                };
                if !matches!(layer, Layer::Lrn { size, .. } if size % 2 == 1) {
                    return Err(self.node_error(node, "size must be an odd number of channels"));
                }
                let v = self.push(node, layer, vec![x.id], x.rank)?;
                self.set(node, 0, Known::Val(v));
                Ok(())
            }
            "Softmax" | "LogSoftmax" => self.softmax(node),
            _ => {
                let quantized =
                    op.contains("Quantize") || op.starts_with("QLinear") || op.ends_with("Integer");
                Err(self.node_error(
                    node,
                    format!(
                        "operator {op} is not supported{}; supported: {}",
                        if quantized {
                            " (a quantized model: export it in float32)"
                        } else {
                            ""
                        },
                        SUPPORTED.join(", ")
                    ),
                ))
            }
        }
    }

    fn constant(&mut self, node: &NodeProto) -> Result<()> {
        let a = node
            .attribute
            .first()
            .ok_or_else(|| self.node_error(node, "no value"))?;
        let c = match a.name() {
            "value" => decode(
                a.t.as_ref()
                    .ok_or_else(|| self.node_error(node, "no tensor"))?,
                &self.dir,
                &mut self.files,
            )
            .map_err(|m| self.node_error(node, m))?,
            "value_float" => Const::F32 {
                dims: vec![],
                data: vec![a.f()],
            },
            "value_floats" => Const::F32 {
                dims: vec![a.floats.len()],
                data: a.floats.clone(),
            },
            "value_int" => Const::I64 {
                dims: vec![],
                data: vec![a.i()],
            },
            "value_ints" => Const::I64 {
                dims: vec![a.ints.len()],
                data: a.ints.clone(),
            },
            other => {
                return Err(self.node_error(node, format!("a constant's {other} is not supported")))
            }
        };
        self.set(node, 0, Known::Const(c));
        Ok(())
    }

    /// Folds a node whose inputs are known when the model loads (shape arithmetic).
    fn fold(&mut self, node: &NodeProto) -> Result<()> {
        let c = super::fold::fold(node, |k| {
            let name = node.input.get(k).map(String::as_str).unwrap_or_default();
            match self.known.get(name) {
                Some(Known::Const(c)) => Some(super::fold::Input::Const(c.clone())),
                Some(Known::Val(v)) => Some(super::fold::Input::Shape(match v.rank {
                    2 => vec![BATCH, v.shape[0] as i64],
                    _ => vec![
                        BATCH,
                        v.shape[0] as i64,
                        v.shape[1] as i64,
                        v.shape[2] as i64,
                    ],
                })),
                None => None,
            }
        })
        .map_err(|m| self.node_error(node, m))?;
        self.set(node, 0, Known::Const(c));
        Ok(())
    }

    /// The graph that computes the output: nodes nothing reads are dropped.
    fn finish(mut self) -> Result<Imported> {
        let out = match self.known.get(&self.output) {
            Some(Known::Val(v)) => *v,
            Some(Known::Const(_)) => {
                return Err(self.error(format!(
                    "the output {:?} does not depend on the input",
                    self.output
                )))
            }
            None => {
                return Err(self.error(format!("no node computes the output {:?}", self.output)))
            }
        };
        if out.rank != 2 || out.shape[1..] != [1, 1] || out.id == 0 {
            return Err(self.error(format!(
                "the output {:?} is not an (N, classes) vector of scores (per image {:?}, rank {})",
                self.output, out.shape, out.rank
            )));
        }
        // keep what the output depends on; nodes are in topological order
        let n = self.arch.nodes.len();
        let mut live = vec![false; n + 1];
        live[out.id] = true;
        for i in (0..n).rev() {
            if live[i + 1] {
                for &v in &self.arch.nodes[i].inputs {
                    live[v] = true;
                }
            }
        }
        if !live[0] {
            return Err(self.error("the output does not depend on the input".into()));
        }
        let mut new_id = vec![0usize; n + 1];
        let mut nodes = Vec::new();
        for i in 0..n {
            if live[i + 1] {
                let mut node: Node = self.arch.nodes[i].clone();
                node.inputs = node.inputs.iter().map(|&v| new_id[v]).collect();
                nodes.push(node);
                new_id[i + 1] = nodes.len();
            }
        }
        if new_id[out.id] != nodes.len() {
            return Err(self.error("the output is not computed last".into()));
        }
        let used: HashSet<String> = Arch {
            nodes: nodes.clone(),
            ..self.arch.clone()
        }
        .params()?
        .into_iter()
        .map(|p| p.name)
        .collect();
        self.tensors.retain(|k, _| used.contains(k));
        self.arch.nodes = nodes;
        self.arch.labels = (0..out.shape[0]).map(|k| k.to_string()).collect();
        Ok(Imported {
            arch: self.arch,
            tensors: self.tensors,
        })
    }
}
