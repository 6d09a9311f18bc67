//! The translation of an ONNX graph into the crate's graph of layers, node by node in the
//! file's (topological) order, each operator by its own handler ([`ops`]). What can be
//! computed when the model loads is folded into constants: initializers, `Constant` nodes,
//! and the Shape / Gather / Concat / Unsqueeze chains exporters emit around Reshape and
//! Flatten, evaluated for the model's fixed input size (the batch stays symbolic). Batch
//! normalisations fold into the convolution before them, ReLUs into the convolution or
//! fully-connected layer before them, a constant added after a fully-connected layer or
//! convolution into its bias, and a zero padding into the convolution after it, where nothing
//! else reads what they fold away. Values are per image: `(c, h, w)` for an ONNX
//! `(N, C, H, W)` tensor and `(k, 1, 1)` for an `(N, K)` one.
//!
//! Layouts: a value keeps how its ONNX tensor's axes sit in the stored `(c, h, w)`
//! ([`Layout`]), so that TensorFlow's NHWC input and the Transposes converters write around
//! it and ahead of a Flatten cost nothing: a Transpose only changes the layout, an NHWC input
//! is a permuted one, and a fully-connected layer reading a permuted flattening takes the
//! permutation into its weights.

mod attrs;
mod input;
mod ops;

pub(super) use attrs::Attrs;
pub(super) use input::input_shape;
pub use ops::supported;

use super::proto::{GraphProto, NodeProto};
use super::tensor::{decode, Const, Files};
use crate::error::{Error, Result};
use crate::nn::arch::{Arch, ChannelOrder, Layer, Node, Pad, Pixels};
use crate::nn::weights::Tensor;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The batch dimension while shapes fold: `Shape` of a value gives it as its first entry.
const BATCH: i64 = 1 << 40;

/// How a computed value's ONNX tensor lies in the stored `(c, h, w)` (or `(k, 1, 1)`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    /// As stored: `(N, C, H, W)`, or `(N, K)`.
    Plain,
    /// A 4-D tensor whose axis `1 + i` is stored axis `axes[i]`: `(N, H, W, C)` is `[1, 2, 0]`
    /// (TensorFlow's NHWC input, or what a Transpose to it makes).
    Permuted([usize; 3]),
    /// An `(N, K)` tensor flattened from such a permuted one of stored shape `from`: its K
    /// values in the permuted axes' order.
    Flat { axes: [usize; 3], from: [usize; 3] },
}

/// What a value's readers must do before they read it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pending {
    None,
    /// A constant padding of the value (top, left, bottom, right), not yet made: a convolution
    /// reading a zero padding takes it into its own; any other reader gets a padding layer.
    Pad {
        pad: [usize; 4],
        value: f32,
    },
    /// The value's softmax (or log-softmax), the model's probabilities: only views and the
    /// output may follow it, and the value itself is the logits.
    Softmax,
}

/// A value computed on the device: its index among the graph's values (0: the input), its
/// stored shape per image, its ONNX rank (2 or 4), its layout and what is pending on it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Val {
    id: usize,
    shape: [usize; 3],
    rank: usize,
    layout: Layout,
    pending: Pending,
}

impl Val {
    fn plain(id: usize, shape: [usize; 3], rank: usize) -> Val {
        Val {
            id,
            shape,
            rank,
            layout: Layout::Plain,
            pending: Pending::None,
        }
    }

    /// The ONNX tensor's dimensions, the batch symbolic.
    fn dims(&self) -> Vec<i64> {
        let shape = match (self.layout, self.pending) {
            (Layout::Permuted(a), _) => a.map(|i| self.shape[i]),
            (_, Pending::Pad { pad, .. }) => [
                self.shape[0],
                self.shape[1] + pad[0] + pad[2],
                self.shape[2] + pad[1] + pad[3],
            ],
            _ => self.shape,
        };
        match self.rank {
            2 => vec![BATCH, shape[0] as i64],
            _ => vec![BATCH, shape[0] as i64, shape[1] as i64, shape[2] as i64],
        }
    }
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

/// A node's name for messages: its own, else its first output's.
fn node_name(node: &NodeProto) -> String {
    if node.name().is_empty() {
        node.output.first().cloned().unwrap_or_default()
    } else {
        node.name().to_string()
    }
}

/// Translates `graph` (the model in `file`) for its image input, `(c, h, w)` as stored, in
/// `layout` (plain, or NHWC's permutation).
pub(super) fn import(file: &Path, graph: &GraphProto, input: input::Input) -> Result<Imported> {
    let mut readers: HashMap<String, usize> = HashMap::new();
    for n in &graph.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *readers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.output {
        *readers.entry(o.name().to_string()).or_default() += 1;
    }
    let shape = input.shape;
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
    let layout = if input.nhwc {
        Layout::Permuted([1, 2, 0])
    } else {
        Layout::Plain
    };
    im.known.insert(
        input.name,
        Known::Val(Val {
            layout,
            ..Val::plain(0, shape, 4)
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

    /// `node`'s attributes, each read as its type, an error naming the node otherwise.
    fn attrs<'n>(&self, node: &'n NodeProto) -> Attrs<'n> {
        Attrs(node)
    }

    /// An attribute read's error, named by its node.
    fn attr<T>(&self, node: &NodeProto, read: std::result::Result<T, String>) -> Result<T> {
        read.map_err(|m| self.node_error(node, m))
    }

    /// Input `k` of `node` as a value computed on the device, as it is: its layout and what is
    /// pending on it are the reader's to handle.
    fn val_any(&self, node: &NodeProto, k: usize) -> Result<Val> {
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

    /// Input `k` of `node` as a plain value in the stored layout: a pending padding is made
    /// (once, for every reader), a permuted or softmaxed value refused.
    fn val(&mut self, node: &NodeProto, k: usize) -> Result<Val> {
        let v = self.val_any(node, k)?;
        let v = match v.pending {
            Pending::None => v,
            Pending::Pad { pad, value } => {
                let padded = self.push(node, Layer::Pad(Pad { pad, value }), vec![v.id], 4)?;
                let padded = Val {
                    layout: v.layout,
                    ..padded
                };
                self.known
                    .insert(node.input[k].clone(), Known::Val(padded));
                padded
            }
            Pending::Softmax => {
                return Err(self.node_error(
                    node,
                    "reads a softmax's probabilities: a softmax only as the classifier's last operation (views and Identity may follow it)",
                ))
            }
        };
        if v.layout != Layout::Plain {
            return Err(self.node_error(
                node,
                "reads a transposed value (NHWC, as TensorFlow lays tensors out): fooling computes in NCHW and takes Transposes only at the input and ahead of a Flatten into a fully-connected layer; convert with tf2onnx's --inputs-as-nchw, or export the model channels-first",
            ));
        }
        Ok(v)
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

    /// Sets `node`'s first output to the value `v`.
    fn set_val(&mut self, node: &NodeProto, v: Val) -> Result<()> {
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    /// Whether only one node reads `node`'s input `k` (so what made it may be changed).
    fn sole_reader(&self, node: &NodeProto, k: usize) -> bool {
        node.input
            .get(k)
            .is_some_and(|n| self.readers.get(n).copied() == Some(1))
    }

    /// A fresh parameter name from `base` (an initializer's name without its `.weight`).
    /// Stores a layer's two parameter tensors under `name` with the suffixes its layer gives
    /// them (`weight` and `bias`, or `scale` and `shift`).
    fn insert_params(&mut self, name: &str, [a, b]: [&str; 2], first: Tensor, second: Tensor) {
        self.tensors.insert(format!("{name}.{a}"), first);
        self.tensors.insert(format!("{name}.{b}"), second);
    }

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

    /// Appends a node and returns its output value (plain).
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
        Ok(Val::plain(self.arch.nodes.len(), shape, rank))
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
        match ops::handler(op) {
            Some(handle) => handle(self, node),
            None => {
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
                        supported().join(", ")
                    ),
                ))
            }
        }
    }

    /// Folds a node whose inputs are known when the model loads (shape arithmetic).
    fn fold(&mut self, node: &NodeProto) -> Result<()> {
        let c = super::fold::fold(node, |k| {
            let name = node.input.get(k).map(String::as_str).unwrap_or_default();
            match self.known.get(name) {
                Some(Known::Const(c)) => Some(super::fold::Input::Const(c.clone())),
                Some(Known::Val(v)) => Some(super::fold::Input::Shape(v.dims())),
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
            // the logits of a softmax the model ends with
            Some(Known::Val(v)) if v.pending == Pending::Softmax => Val {
                pending: Pending::None,
                ..*v
            },
            Some(Known::Val(v)) if v.pending != Pending::None || v.layout != Layout::Plain => {
                return Err(self.error(format!(
                    "the output {:?} is a transposed or padded value, not (N, classes) scores",
                    self.output
                )))
            }
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
