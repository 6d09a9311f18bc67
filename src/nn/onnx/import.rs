//! The translation of an ONNX graph into the crate's graph of layers, node by node in the
//! file's (topological) order. What can be computed when the model loads is folded into
//! constants: initializers, `Constant` nodes, and the Shape / Gather / Concat / Unsqueeze
//! chains exporters emit around Reshape and Flatten, evaluated for the model's fixed input
//! size (the batch stays symbolic). Batch normalisations fold into the convolution before
//! them, ReLUs into the convolution or fully-connected layer before them, and a constant
//! added after a fully-connected layer or convolution into its bias, where nothing else
//! reads what they fold away. Values are per image: `(c, h, w)` for an ONNX `(N, C, H, W)`
//! tensor and `(k, 1, 1)` for an `(N, K)` one.

use super::proto::{AttributeProto, GraphProto, NodeProto};
use super::tensor::{decode, type_name, Const, Files};
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

    /// The padding of a convolution or pooling: `pads`, or what `auto_pad` asks for the
    /// input's `(h, w)`.
    fn pads(
        &self,
        node: &NodeProto,
        hw: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
    ) -> Result<[usize; 4]> {
        let auto = attr_s(node, "auto_pad");
        match auto.as_str() {
            "" | "NOTSET" => {
                let p = attr_ints(node, "pads").unwrap_or_else(|| vec![0; 4]);
                if p.len() != 4 || p.iter().any(|&v| v < 0) {
                    return Err(self
                        .node_error(node, format!("pads {p:?}: expected four non-negative pads")));
                }
                Ok([p[0] as usize, p[1] as usize, p[2] as usize, p[3] as usize])
            }
            "VALID" => Ok([0; 4]),
            "SAME_UPPER" | "SAME_LOWER" => {
                let mut out = [0usize; 4];
                for a in 0..2 {
                    let o = hw[a].div_ceil(stride[a]);
                    let extent = (kernel[a] - 1)
                        .saturating_mul(dilation[a])
                        .saturating_add(1);
                    let total = ((o - 1).saturating_mul(stride[a]))
                        .saturating_add(extent)
                        .saturating_sub(hw[a]);
                    let small = total / 2;
                    let (begin, end) = if auto == "SAME_UPPER" {
                        (small, total - small)
                    } else {
                        (total - small, small)
                    };
                    out[a] = begin;
                    out[a + 2] = end;
                }
                Ok(out)
            }
            other => Err(self.node_error(node, format!("auto_pad {other:?} is not supported"))),
        }
    }

    /// Two positive integers from attribute `name` (`default` when absent).
    fn pair(
        &self,
        node: &NodeProto,
        name: &str,
        default: Option<[usize; 2]>,
    ) -> Result<[usize; 2]> {
        match attr_ints(node, name) {
            None => default.ok_or_else(|| self.node_error(node, format!("no {name}"))),
            Some(v) if v.len() == 2 && v.iter().all(|&x| x > 0) => {
                Ok([v[0] as usize, v[1] as usize])
            }
            Some(v) => Err(self.node_error(
                node,
                format!("{name} {v:?}: expected two positive values (2-D operators only)"),
            )),
        }
    }

    fn spatial_4d(&self, node: &NodeProto, x: Val) -> Result<()> {
        if x.rank != 4 {
            return Err(self.node_error(
                node,
                format!("expects an (N, C, H, W) input, found rank {}", x.rank),
            ));
        }
        Ok(())
    }

    fn conv(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        self.spatial_4d(node, x)?;
        let Const::F32 { dims, data: w } = self.need_konst(node, 1)? else {
            return Err(self.node_error(node, "the weights are not float32"));
        };
        if dims.len() != 4 {
            return Err(self.node_error(
                node,
                format!("weights of dimensions {dims:?}: 2-D convolutions only"),
            ));
        }
        let kernel = self.pair(node, "kernel_shape", Some([dims[2], dims[3]]))?;
        if kernel != [dims[2], dims[3]] {
            return Err(self.node_error(
                node,
                format!("kernel_shape {kernel:?} does not match the weights {dims:?}"),
            ));
        }
        let stride = self.pair(node, "strides", Some([1, 1]))?;
        let dilation = self.pair(node, "dilations", Some([1, 1]))?;
        let groups = attr_i(node, "group", 1);
        if groups < 1 {
            return Err(self.node_error(node, format!("group {groups}")));
        }
        let pad = self.pads(node, [x.shape[1], x.shape[2]], kernel, stride, dilation)?;
        let out_c = dims[0];
        let bias = match self.konst(node, 2)? {
            Some(b) if b.len() == out_c => b.floats(),
            Some(b) => {
                return Err(self.node_error(
                    node,
                    format!("a bias of {} values for {out_c} channels", b.len()),
                ))
            }
            None => vec![0.0; out_c],
        };
        let name = self.param_name(node.input[1].as_str());
        let layer = Layer::Conv2d {
            name: name.clone(),
            out_c,
            kernel,
            stride,
            pad,
            dilation,
            groups: groups as usize,
            relu: false,
        };
        if (dims[1] as u64).checked_mul(groups as u64) != Some(x.shape[0] as u64) {
            return Err(self.node_error(
                node,
                format!(
                    "weights {dims:?} for {} input channels in {groups} groups",
                    x.shape[0]
                ),
            ));
        }
        let v = self.push(node, layer, vec![x.id], 4)?;
        self.tensors.insert(
            format!("{name}.weight"),
            Tensor {
                shape: dims,
                data: w,
            },
        );
        self.tensors.insert(
            format!("{name}.bias"),
            Tensor {
                shape: vec![out_c],
                data: bias,
            },
        );
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    /// The weight and bias tensors' names of the layer that computes `v`, when it is a
    /// convolution or fully-connected layer without a fused ReLU.
    fn plain_affine_producer(&mut self, v: Val) -> Option<String> {
        match self.producer(v) {
            Some(Layer::Conv2d {
                name, relu: false, ..
            })
            | Some(Layer::Linear {
                name, relu: false, ..
            }) => Some(name.clone()),
            _ => None,
        }
    }

    fn batchnorm(&mut self, node: &NodeProto) -> Result<()> {
        if attr_i(node, "training_mode", 0) != 0 {
            return Err(self.node_error(node, "training_mode: export the model in eval mode"));
        }
        let x = self.val(node, 0)?;
        let eps = attr_f(node, "epsilon", 1e-5);
        let c = x.shape[0];
        let mut vecs = Vec::new();
        for k in 1..5 {
            let t = self.need_konst(node, k)?;
            if t.len() != c {
                return Err(self.node_error(
                    node,
                    format!("input {k} has {} values for {c} channels", t.len()),
                ));
            }
            vecs.push(t.floats());
        }
        let (gamma, beta, mean, var) = (&vecs[0], &vecs[1], &vecs[2], &vecs[3]);
        let scale: Vec<f32> = (0..c)
            .map(|i| (gamma[i] as f64 / (var[i] as f64 + eps as f64).sqrt()) as f32)
            .collect();
        let shift: Vec<f32> = (0..c)
            .map(|i| (beta[i] as f64 - mean[i] as f64 * scale[i] as f64) as f32)
            .collect();
        // folded into a convolution that nothing else reads: w' = w · s, b' = b · s + t
        if x.rank == 4 && self.sole_reader(node, 0) {
            if let Some(name) = self.plain_affine_producer(x) {
                if matches!(self.producer(x), Some(Layer::Conv2d { .. })) {
                    let w = self
                        .tensors
                        .get_mut(&format!("{name}.weight"))
                        .expect("conv weights");
                    let per = w.data.len() / c;
                    for (i, v) in w.data.iter_mut().enumerate() {
                        *v = (*v as f64 * scale[i / per] as f64) as f32;
                    }
                    let b = self
                        .tensors
                        .get_mut(&format!("{name}.bias"))
                        .expect("conv bias");
                    for (i, v) in b.data.iter_mut().enumerate() {
                        *v = (*v as f64 * scale[i] as f64 + shift[i] as f64) as f32;
                    }
                    self.set(node, 0, Known::Val(x));
                    return Ok(());
                }
            }
        }
        self.affine(node, x, scale, shift)
    }

    /// A per-channel `x · scale + shift` node.
    fn affine(&mut self, node: &NodeProto, x: Val, scale: Vec<f32>, shift: Vec<f32>) -> Result<()> {
        let base = format!("{}.affine", node_name(node));
        let name = self.param_name(&base);
        let c = scale.len();
        let v = self.push(
            node,
            Layer::Affine { name: name.clone() },
            vec![x.id],
            x.rank,
        )?;
        self.tensors.insert(
            format!("{name}.scale"),
            Tensor {
                shape: vec![c],
                data: scale,
            },
        );
        self.tensors.insert(
            format!("{name}.shift"),
            Tensor {
                shape: vec![c],
                data: shift,
            },
        );
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn relu(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        if self.sole_reader(node, 0) {
            match self.producer(x) {
                Some(Layer::Conv2d { relu, .. }) | Some(Layer::Linear { relu, .. }) if !*relu => {
                    *relu = true;
                    self.set(node, 0, Known::Val(x));
                    return Ok(());
                }
                _ => {}
            }
        }
        let v = self.push(node, Layer::Relu, vec![x.id], x.rank)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn act(&mut self, node: &NodeProto, f: Activation) -> Result<()> {
        let x = self.val(node, 0)?;
        let v = self.push(node, Layer::Act(f), vec![x.id], x.rank)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn clip(&mut self, node: &NodeProto) -> Result<()> {
        // opset 11 and later: bounds as inputs; before, as attributes
        let bound = |k: usize, attr_name: &str, default: f32| -> Result<f32> {
            match self.konst(node, k)? {
                Some(c) if c.len() == 1 => Ok(c.floats()[0]),
                Some(c) => Err(self.node_error(node, format!("a bound of {} values", c.len()))),
                None => Ok(attr_f(node, attr_name, default)),
            }
        };
        let lo = bound(1, "min", f32::NEG_INFINITY)?;
        let hi = bound(2, "max", f32::INFINITY)?;
        if lo == 0.0 && hi == f32::INFINITY {
            return self.relu(node);
        }
        if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
            return Err(self.node_error(node, format!("bounds {lo} and {hi}")));
        }
        self.act(node, Activation::Clip { lo, hi })
    }

    /// `Add`, `Sub`, `Mul`, `Div` with at least one computed input.
    fn binary(&mut self, node: &NodeProto) -> Result<()> {
        let op = node.op_type();
        let is_val = |k: usize| {
            matches!(
                self.known
                    .get(node.input.get(k).map(String::as_str).unwrap_or_default()),
                Some(Known::Val(_))
            )
        };
        if is_val(0) && is_val(1) {
            let (a, b) = (self.val(node, 0)?, self.val(node, 1)?);
            let layer = match op {
                "Add" if a.shape == b.shape => Layer::Add,
                "Mul" => Layer::Mul,
                _ => {
                    return Err(self.node_error(
                        node,
                        format!("{op} of two computed values of shapes {:?} and {:?} (supported: Add of equal shapes, Mul of equal shapes or by a (N, C, 1, 1) gate)", a.shape, b.shape),
                    ))
                }
            };
            // the broadcast factor goes second
            let (a, b) = if b.shape != a.shape && a.shape == [b.shape[0], 1, 1] {
                (b, a)
            } else {
                (a, b)
            };
            let v = self.push(node, layer, vec![a.id, b.id], a.rank.max(b.rank))?;
            self.set(node, 0, Known::Val(v));
            return Ok(());
        }
        // one side a constant: a per-channel (or single) scale or offset
        let (xk, ck) = if is_val(0) { (0, 1) } else { (1, 0) };
        let x = self.val(node, xk)?;
        let c = self.need_konst(node, ck)?;
        let channels = x.shape[0];
        let per_channel = self.channel_values(node, x, &c)?;
        let ones = vec![1.0f32; channels];
        let zeros = vec![0.0f32; channels];
        let (scale, shift) = match (op, xk) {
            ("Add", _) => {
                // a constant added after a layer with a bias: into its bias
                if self.sole_reader(node, xk) {
                    if let Some(name) = self.plain_affine_producer(x) {
                        let b = self
                            .tensors
                            .get_mut(&format!("{name}.bias"))
                            .expect("a bias");
                        for (v, &d) in b.data.iter_mut().zip(&per_channel) {
                            *v += d;
                        }
                        self.set(node, 0, Known::Val(x));
                        return Ok(());
                    }
                }
                (ones, per_channel)
            }
            ("Sub", 0) => (ones, per_channel.iter().map(|v| -v).collect()),
            ("Sub", _) => (vec![-1.0; channels], per_channel),
            ("Mul", _) => (per_channel, zeros),
            ("Div", 0) => (per_channel.iter().map(|v| 1.0 / v).collect(), zeros),
            _ => {
                return Err(self.node_error(
                    node,
                    "a constant divided by a computed value is not supported",
                ))
            }
        };
        self.affine(node, x, scale, shift)
    }

    /// A constant that broadcasts over `x` one value per channel (a scalar, or `(C)`,
    /// `(C, 1, 1)`, `(1, C, 1, 1)` for rank 4, `(K)`, `(1, K)` for rank 2): one value per
    /// channel.
    fn channel_values(&self, node: &NodeProto, x: Val, c: &Const) -> Result<Vec<f32>> {
        let channels = x.shape[0];
        let v = c.floats();
        let dims: Vec<usize> = c.dims().iter().copied().skip_while(|&d| d == 1).collect();
        let fits = v.len() == 1
            || match x.rank {
                4 => dims == [channels, 1, 1],
                _ => dims == [channels],
            };
        if !fits {
            return Err(self.node_error(
                node,
                format!("a constant of dimensions {:?} against a value of shape {:?}: only one value, or one per channel, is supported", c.dims(), x.shape),
            ));
        }
        Ok(if v.len() == 1 {
            vec![v[0]; channels]
        } else {
            v
        })
    }

    fn concat(&mut self, node: &NodeProto) -> Result<()> {
        let vals = (0..node.input.len())
            .map(|k| self.val(node, k))
            .collect::<Result<Vec<_>>>()?;
        let rank = vals[0].rank;
        let axis = attr_i(node, "axis", 1);
        let axis = if axis < 0 { axis + rank as i64 } else { axis };
        if axis != 1 || vals.iter().any(|v| v.rank != rank) {
            return Err(self.node_error(
                node,
                format!("concatenation along axis {axis} (only the channels, axis 1)"),
            ));
        }
        let v = self.push(
            node,
            Layer::Concat,
            vals.iter().map(|v| v.id).collect(),
            rank,
        )?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn pool(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        self.spatial_4d(node, x)?;
        let kernel = self.pair(node, "kernel_shape", None)?;
        let stride = self.pair(node, "strides", Some([1, 1]))?;
        if self.pair(node, "dilations", Some([1, 1]))? != [1, 1] {
            return Err(self.node_error(node, "dilated pooling is not supported"));
        }
        if attr_i(node, "storage_order", 0) != 0 {
            return Err(self.node_error(node, "storage_order 1 is not supported"));
        }
        let pad = self.pads(node, [x.shape[1], x.shape[2]], kernel, stride, [1, 1])?;
        let kind = if node.op_type() == "MaxPool" {
            if node.output.len() > 1 && !node.output[1].is_empty() {
                return Err(self.node_error(node, "the Indices output is not supported"));
            }
            PoolKind::Max
        } else {
            PoolKind::Avg {
                count_pad: attr_i(node, "count_include_pad", 0) != 0,
            }
        };
        let layer = Layer::Pool {
            kind,
            kernel,
            stride,
            pad,
            ceil: attr_i(node, "ceil_mode", 0) != 0,
        };
        let v = self.push(node, layer, vec![x.id], 4)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn reduce_mean(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        self.spatial_4d(node, x)?;
        // axes: an attribute before opset 18, an input since
        let axes = match attr_ints(node, "axes") {
            Some(a) => a,
            None => self
                .konst(node, 1)?
                .map(|c| c.ints())
                .transpose()
                .map_err(|m| self.node_error(node, m))?
                .unwrap_or_default(),
        };
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + 4 } else { a })
            .collect();
        axes.sort();
        if axes != [2, 3] {
            return Err(self.node_error(node, format!("ReduceMean over axes {axes:?} (only the spatial axes 2 and 3: global average pooling)")));
        }
        let rank = if attr_i(node, "keepdims", 1) != 0 {
            4
        } else {
            2
        };
        let v = self.push(node, Layer::GlobalAvgPool, vec![x.id], rank)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    /// The value `x` seen with per-image shape `shape` and `rank`: the same value when the
    /// shape is the same, else a reshape node (the same memory).
    fn view_as(&mut self, node: &NodeProto, x: Val, shape: [usize; 3], rank: usize) -> Result<()> {
        let v = if shape == x.shape {
            Val { rank, ..x }
        } else {
            self.push(node, Layer::Reshape(shape), vec![x.id], rank)?
        };
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn flatten(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let axis = attr_i(node, "axis", 1);
        if axis != 1 {
            return Err(self.node_error(
                node,
                format!("Flatten at axis {axis} (only axis 1: one vector per image)"),
            ));
        }
        self.view_as(node, x, [x.shape.iter().product(), 1, 1], 2)
    }

    fn reshape(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let target = self
            .need_konst(node, 1)?
            .ints()
            .map_err(|m| self.node_error(node, m))?;
        let allowzero = attr_i(node, "allowzero", 0) != 0;
        let dims_in: Vec<i64> = match x.rank {
            2 => vec![BATCH, x.shape[0] as i64],
            _ => vec![
                BATCH,
                x.shape[0] as i64,
                x.shape[1] as i64,
                x.shape[2] as i64,
            ],
        };
        let mut t: Vec<i64> = target
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                if d == 0 && !allowzero {
                    dims_in.get(i).copied().unwrap_or(0)
                } else {
                    d
                }
            })
            .collect();
        let bad = |why: &str| {
            self.node_error(
                node,
                format!("reshape of (N, {:?}) to {target:?}: {why}", x.shape),
            )
        };
        if !(t.len() == 2 || t.len() == 4) {
            return Err(bad("only to (N, K) or (N, C, H, W)"));
        }
        let per_image: i64 = x.shape.iter().product::<usize>() as i64;
        let product = |d: &[i64]| d.iter().try_fold(1i64, |a, &v| a.checked_mul(v));
        if t[0] == BATCH || t[0] == 1 {
            t[0] = 1;
            let known: Vec<i64> = t[1..].iter().copied().filter(|&d| d != -1).collect();
            let known = product(&known).ok_or_else(|| bad("dimensions too large"))?;
            let free = t[1..].iter().filter(|&&d| d == -1).count();
            if free > 1 || known <= 0 || t[1..].iter().any(|&d| d < -1 || d == 0) {
                return Err(bad("dimensions that cannot be resolved"));
            }
            if free == 1 {
                if per_image % known != 0 {
                    return Err(bad("the sizes do not divide"));
                }
                for d in t[1..].iter_mut() {
                    if *d == -1 {
                        *d = per_image / known;
                    }
                }
            }
        } else if t[0] == -1 {
            if t[1..].iter().any(|&d| d <= 0) {
                return Err(bad("dimensions that cannot be resolved"));
            }
        } else {
            return Err(bad("the first dimension must stay the batch"));
        }
        if product(&t[1..]) != Some(per_image) {
            return Err(bad("a different number of elements per image"));
        }
        let shape = if t.len() == 2 {
            [t[1] as usize, 1, 1]
        } else {
            [t[1] as usize, t[2] as usize, t[3] as usize]
        };
        self.view_as(node, x, shape, t.len())
    }

    fn squeeze(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let axes = match attr_ints(node, "axes") {
            Some(a) => a,
            None => self
                .konst(node, 1)?
                .map(|c| c.ints())
                .transpose()
                .map_err(|m| self.node_error(node, m))?
                .unwrap_or_default(),
        };
        let (from, to) = if node.op_type() == "Squeeze" {
            (4, 2)
        } else {
            (2, 4)
        };
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + from.max(to) as i64 } else { a })
            .collect();
        axes.sort();
        if x.rank != from || axes != [2, 3] || x.shape[1..] != [1, 1] {
            return Err(self.node_error(
                node,
                format!(
                    "{} of axes {axes:?} on a rank-{} value (only between (N, C) and (N, C, 1, 1))",
                    node.op_type(),
                    x.rank
                ),
            ));
        }
        self.view_as(node, x, x.shape, to)
    }

    fn linear(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        if x.rank != 2 {
            return Err(self.node_error(
                node,
                format!(
                    "expects an (N, K) input, found rank {} (flatten it first)",
                    x.rank
                ),
            ));
        }
        let gemm = node.op_type() == "Gemm";
        if gemm && attr_i(node, "transA", 0) != 0 {
            return Err(self.node_error(node, "transA = 1 is not supported"));
        }
        let trans_b = gemm && attr_i(node, "transB", 0) != 0;
        let Const::F32 { dims, data } = self.need_konst(node, 1)? else {
            return Err(self.node_error(node, "the weights are not float32"));
        };
        if dims.len() != 2 {
            return Err(self.node_error(node, format!("weights of dimensions {dims:?}")));
        }
        let (in_f, out_f) = if trans_b {
            (dims[1], dims[0])
        } else {
            (dims[0], dims[1])
        };
        if in_f != x.shape[0] {
            return Err(self.node_error(
                node,
                format!("weights {dims:?} for an input of {} values", x.shape[0]),
            ));
        }
        let alpha = if gemm {
            attr_f(node, "alpha", 1.0)
        } else {
            1.0
        };
        let beta = if gemm { attr_f(node, "beta", 1.0) } else { 1.0 };
        // (out_f, in_f), row-major, times alpha
        let w: Vec<f32> = if trans_b {
            data.iter().map(|&v| v * alpha).collect()
        } else {
            (0..out_f * in_f)
                .map(|i| data[(i % in_f) * out_f + i / in_f] * alpha)
                .collect()
        };
        let bias = match if gemm { self.konst(node, 2)? } else { None } {
            None => vec![0.0; out_f],
            Some(c) if c.len() == out_f => c.floats().iter().map(|v| v * beta).collect(),
            Some(c) if c.len() == 1 => vec![c.floats()[0] * beta; out_f],
            Some(c) => {
                return Err(self.node_error(
                    node,
                    format!("a bias of dimensions {:?} for {out_f} outputs", c.dims()),
                ))
            }
        };
        let name = self.param_name(node.input[1].as_str());
        let v = self.push(
            node,
            Layer::Linear {
                name: name.clone(),
                out_f,
                relu: false,
            },
            vec![x.id],
            2,
        )?;
        self.tensors.insert(
            format!("{name}.weight"),
            Tensor {
                shape: vec![out_f, in_f],
                data: w,
            },
        );
        self.tensors.insert(
            format!("{name}.bias"),
            Tensor {
                shape: vec![out_f],
                data: bias,
            },
        );
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    fn softmax(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        if node.output.first() != Some(&self.output) {
            return Err(self.node_error(
                node,
                "a softmax only as the model's last node (its output the model's)",
            ));
        }
        let axis = attr_i(node, "axis", -1);
        if x.rank != 2 || !(axis == -1 || axis == 1) {
            return Err(self.node_error(node, format!("a softmax over axis {axis} of a rank-{} value (only over the classes of an (N, K) output)", x.rank)));
        }
        // the confidence is the softmax probability either way: the logits are its input
        self.set(node, 0, Known::Val(x));
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

/// The per-image `(c, h, w)` of the model's one image input, from its declared shape;
/// `size` gives `(h, w)` where the model leaves them open.
pub(super) fn input_shape(
    file: &Path,
    graph: &GraphProto,
    size: Option<[usize; 2]>,
) -> Result<(String, [usize; 3])> {
    let err = |m: String| Error::Onnx {
        path: file.into(),
        message: m,
    };
    let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name()).collect();
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !inits.contains(i.name()))
        .collect();
    if inputs.len() != 1 {
        return Err(err(format!(
            "{} inputs ({}): fooling takes a model with one image input",
            inputs.len(),
            inputs
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if graph.output.len() != 1 {
        return Err(err(format!(
            "{} outputs ({}): fooling takes a model with one output, the class scores",
            graph.output.len(),
            graph
                .output
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let input = inputs[0];
    let tensor = input
        .r#type
        .as_ref()
        .and_then(|t| match &t.value {
            Some(super::proto::type_proto::Value::TensorType(t)) => Some(t),
            _ => None,
        })
        .ok_or_else(|| err(format!("input {:?} is not a tensor", input.name())))?;
    if tensor.elem_type() != 1 {
        return Err(err(format!(
            "input {:?} is {}: fooling takes float32 image inputs",
            input.name(),
            type_name(tensor.elem_type())
        )));
    }
    let dims: Vec<Option<i64>> = tensor
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(super::proto::tensor_shape_proto::dimension::Value::DimValue(v))
                        if v > 0 =>
                    {
                        Some(v)
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if dims.len() != 4 {
        return Err(err(format!(
            "input {:?} has {} dimensions: fooling takes images, (N, C, H, W)",
            input.name(),
            dims.len()
        )));
    }
    if matches!(dims[0], Some(n) if n != 1) {
        // a fixed batch above 1: the model would take only batches of that size
        return Err(err(format!(
            "input {:?} has a fixed batch of {}: export it with batch 1 or a dynamic batch",
            input.name(),
            dims[0].unwrap_or_default()
        )));
    }
    let c =
        dims[1].ok_or_else(|| err(format!("input {:?} leaves its channels open", input.name())))?;
    if !(c == 1 || c == 3) {
        return Err(err(format!(
            "input {:?} has {c} channels: fooling takes grey (1) or colour (3) images",
            input.name()
        )));
    }
    let (h, w) = match (dims[2], dims[3], size) {
        (_, _, Some([h, w])) => {
            if h == 0 || w == 0 {
                return Err(Error::Option {
                    option: "--input-size".into(),
                    message: format!("{h},{w}: each side must be at least 1"),
                });
            }
            for (d, given) in [(dims[2], h), (dims[3], w)] {
                if let Some(d) = d {
                    if d as usize != given {
                        return Err(Error::Option {
                            option: "--input-size".into(),
                            message: format!(
                                "{h},{w} for a model whose input is fixed at {:?}",
                                &dims[2..]
                            ),
                        });
                    }
                }
            }
            (h, w)
        }
        (Some(h), Some(w), None) => (h as usize, w as usize),
        _ => {
            return Err(Error::Option {
                option: "--input-size".into(),
                message: format!(
                "needed: the model {} leaves its input's height and width open; give them as H,W",
                file.display()
            ),
            })
        }
    };
    if h > 4096 || w > 4096 {
        return Err(err(format!("input {h}x{w}: at most 4096 pixels a side")));
    }
    Ok((input.name().to_string(), [c as usize, h, w]))
}
