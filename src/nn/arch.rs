//! Architectures as data: a network is a graph of [`Node`]s, each a [`Layer`] applied to the
//! outputs of earlier nodes (so a value may fan out, and sums and concatenations join
//! branches), with shape inference, parameter names and shapes, and the preprocessing its
//! input expects. The built-in architectures are chains in this representation; ONNX models
//! are general graphs.

pub use super::layer::{Layer, Node, PoolKind};
use crate::error::{Error, Result};
use crate::kernels::{Conv2dShape, LinearShape, LrnShape, Pad2d, Pool2dShape};

/// A parameter tensor the architecture expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
}

impl ParamSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The order of an input's colour channels.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOrder {
    Grey,
    /// Caffe's networks.
    Bgr,
    /// torchvision's networks.
    Rgb,
}

impl ChannelOrder {
    /// The RGB channel each of a network's input planes holds, in plane order (grey: the
    /// same as RGB, for a colour image read for a grey network's conversion).
    pub fn rgb_channels(self) -> [usize; 3] {
        match self {
            ChannelOrder::Bgr => [2, 1, 0],
            ChannelOrder::Rgb | ChannelOrder::Grey => [0, 1, 2],
        }
    }
}

/// How 8-bit pixels become a network's input: `(pixel − mean[c]) / std[c]` for each channel
/// `c`, channels in `order` (mean and std in pixel units, 0–255).
#[derive(Clone, Debug, PartialEq)]
pub struct Pixels {
    pub order: ChannelOrder,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Pixels {
    /// The input value of 8-bit `pixel` in channel `c`: `(pixel − mean[c]) · (1 / std[c])`
    /// (the reciprocal rounded to f32 first, so the host and every kernel that prepares an
    /// input compute the same f32).
    pub fn value(&self, c: usize, pixel: f32) -> f32 {
        (pixel - self.mean[c]) * (1.0 / self.std[c])
    }
}

/// A classifier: input shape, a graph whose last node writes the logits (a softmax follows),
/// class labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    pub name: String,
    /// `(channels, height, width)` of one input image.
    pub input: [usize; 3],
    pub pixels: Pixels,
    pub nodes: Vec<Node>,
    pub labels: Vec<String>,
}

impl Arch {
    /// A chain: each layer reads the one before it (the first reads the input).
    pub fn chain(
        name: &str,
        input: [usize; 3],
        pixels: Pixels,
        layers: Vec<Layer>,
        labels: Vec<String>,
    ) -> Arch {
        Arch {
            name: name.into(),
            input,
            pixels,
            nodes: layers
                .into_iter()
                .enumerate()
                .map(|(i, layer)| Node {
                    layer,
                    inputs: vec![i],
                })
                .collect(),
            labels,
        }
    }

    /// Whether every node reads only the node before it (what training takes).
    pub fn is_chain(&self) -> bool {
        self.nodes.iter().enumerate().all(|(i, n)| n.inputs == [i])
    }

    /// What one 8-bit pixel is multiplied by to make the input of a grey network without a
    /// mean (LeNet: 1/256); an error naming the network for any other.
    pub fn grey_scale(&self) -> Result<f32> {
        let p = &self.pixels;
        if p.order != ChannelOrder::Grey || p.mean.iter().any(|&m| m != 0.0) {
            return Err(Error::Option {
                option: "--net".into(),
                message: format!(
                    "{} takes {:?} input with a mean; this needs a grey network without one",
                    self.name, p.order
                ),
            });
        }
        Ok(1.0 / p.std[0])
    }

    /// `(mean, 1 / std)` of a grey network's input, in pixel units: the input of 8-bit pixel
    /// `p` is `(p − mean) · (1 / std)`; an error naming the network for a colour one.
    pub fn grey_pixels(&self) -> Result<(f32, f32)> {
        let p = &self.pixels;
        if self.input[0] != 1 {
            return Err(Error::Option {
                option: "--net".into(),
                message: format!(
                    "{} takes colour input; this needs a grey network",
                    self.name
                ),
            });
        }
        Ok((p.mean[0], 1.0 / p.std[0]))
    }

    /// The network's input for `(n, c, h, w)` 8-bit pixels already in its channel order.
    pub fn to_input(&self, pixels: &[u8]) -> Vec<f32> {
        let [c, h, w] = self.input;
        pixels
            .iter()
            .enumerate()
            .map(|(i, &v)| self.pixels.value((i / (h * w)) % c, v as f32))
            .collect()
    }

    /// The same architecture with its last (fully-connected) layer widened to
    /// `classes` outputs; labels past the current ones are `extra_label`, `extra_label-2`, ….
    /// The retraining experiment adds a "fooling" class this way.
    pub fn with_classes(mut self, classes: usize, extra_label: &str) -> Result<Arch> {
        match self.nodes.last_mut().map(|n| &mut n.layer) {
            Some(Layer::Linear { out_f, .. }) => *out_f = classes,
            _ => {
                return Err(Error::Option {
                    option: "classes".into(),
                    message: format!("{} does not end in a fully-connected layer", self.name),
                })
            }
        }
        let n = self.labels.len();
        self.labels.truncate(classes);
        for k in n..classes {
            self.labels.push(if k == n {
                extra_label.to_string()
            } else {
                format!("{extra_label}-{}", k - n + 1)
            });
        }
        Ok(self)
    }

    /// The shape of value `v` given every node's output shape.
    pub fn value_shape(&self, shapes: &[[usize; 3]], v: usize) -> [usize; 3] {
        if v == 0 {
            self.input
        } else {
            shapes[v - 1]
        }
    }

    /// The nodes that read each value (`[v]` lists node indices).
    pub fn consumers(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len() + 1];
        for (i, n) in self.nodes.iter().enumerate() {
            for &v in &n.inputs {
                if !out[v].contains(&i) {
                    out[v].push(i);
                }
            }
        }
        out
    }

    fn shape_error(&self, i: usize, what: &str, expected: String, found: String) -> Error {
        Error::Shape {
            kernel: format!("{} node {i} ({})", self.name, self.node_label(i)),
            what: what.into(),
            expected,
            found,
        }
    }

    /// The `(c, h, w)` output shape of every node, in order; a linear layer's is `(f, 1, 1)`.
    /// Refuses a node that reads a later value, has the wrong number of inputs, or inputs
    /// whose shapes it cannot take.
    pub fn shapes(&self) -> Result<Vec<[usize; 3]>> {
        let mut out: Vec<[usize; 3]> = Vec::with_capacity(self.nodes.len());
        if self.nodes.is_empty() {
            return Err(Error::Option {
                option: "architecture".into(),
                message: format!("{} has no layers", self.name),
            });
        }
        for i in 0..self.nodes.len() {
            let shape = self.output_shape(i, &out)?;
            out.push(shape);
        }
        Ok(out)
    }

    /// Node `i`'s output shape, given the output shapes of the nodes before it.
    fn output_shape(&self, i: usize, before: &[[usize; 3]]) -> Result<[usize; 3]> {
        let node = &self.nodes[i];
        let (lo, hi) = node.layer.arity();
        if node.inputs.len() < lo || node.inputs.len() > hi {
            return Err(self.shape_error(
                i,
                "inputs",
                format!("{lo}..={hi}"),
                node.inputs.len().to_string(),
            ));
        }
        if let Some(&v) = node.inputs.iter().find(|&&v| v > i) {
            return Err(self.shape_error(
                i,
                "input",
                "an earlier value".into(),
                format!("value {v}"),
            ));
        }
        let ins: Vec<[usize; 3]> = node
            .inputs
            .iter()
            .map(|&v| self.value_shape(before, v))
            .collect();
        self.node_shape(i, &node.layer, &ins)
    }

    /// Appends a node reading `inputs` and returns its output shape (`shapes`: the output
    /// shapes of the nodes so far, which it extends); a node that does not fit is refused
    /// and not appended.
    pub fn push(
        &mut self,
        shapes: &mut Vec<[usize; 3]>,
        layer: Layer,
        inputs: Vec<usize>,
    ) -> Result<[usize; 3]> {
        self.nodes.push(Node { layer, inputs });
        match self.output_shape(self.nodes.len() - 1, shapes) {
            Ok(shape) => {
                shapes.push(shape);
                Ok(shape)
            }
            Err(e) => {
                self.nodes.pop();
                Err(e)
            }
        }
    }

    fn node_shape(&self, i: usize, layer: &Layer, ins: &[[usize; 3]]) -> Result<[usize; 3]> {
        let shape = ins[0];
        let [c, h, w] = shape;
        Ok(match layer {
            Layer::Pad { pad, .. } => [c, h + pad[0] + pad[2], w + pad[1] + pad[3]],
            Layer::Conv2d { out_c, .. } => {
                let s = self.conv_shape(1, shape, layer).expect("a conv layer");
                s.validate().map_err(|e| {
                    self.shape_error(
                        i,
                        "convolution",
                        format!("{layer:?}"),
                        format!("input (c, h, w) = {shape:?}: {e}"),
                    )
                })?;
                [*out_c, s.out_h(), s.out_w()]
            }
            Layer::Pool { .. } => {
                let s = self.pool_shape(1, shape, layer).expect("a pool layer");
                s.validate().map_err(|e| {
                    self.shape_error(
                        i,
                        "window",
                        "a window within the padded input".into(),
                        format!("on {h}x{w}: {e}"),
                    )
                })?;
                [c, s.out_h(), s.out_w()]
            }
            Layer::GlobalAvgPool => [c, 1, 1],
            Layer::Linear { out_f, .. } => [*out_f, 1, 1],
            Layer::Reshape(to) => {
                if to.iter().product::<usize>() != c * h * w {
                    return Err(self.shape_error(
                        i,
                        "reshape",
                        format!("{} elements", c * h * w),
                        format!("{to:?}"),
                    ));
                }
                *to
            }
            Layer::Relu
            | Layer::Act(_)
            | Layer::Lrn { .. }
            | Layer::Dropout { .. }
            | Layer::Affine { .. } => shape,
            Layer::Add => {
                if ins[1] != shape {
                    return Err(self.shape_error(
                        i,
                        "second input",
                        format!("{shape:?}"),
                        format!("{:?}", ins[1]),
                    ));
                }
                shape
            }
            Layer::Mul => {
                if ins[1] != shape && ins[1] != [c, 1, 1] {
                    return Err(self.shape_error(
                        i,
                        "second input",
                        format!("{shape:?} or {:?}", [c, 1, 1]),
                        format!("{:?}", ins[1]),
                    ));
                }
                shape
            }
            Layer::Concat => {
                if let Some(s) = ins.iter().find(|s| s[1..] != shape[1..]) {
                    return Err(self.shape_error(
                        i,
                        "input",
                        format!("(c, {h}, {w})"),
                        format!("{s:?}"),
                    ));
                }
                [ins.iter().map(|s| s[0]).sum(), h, w]
            }
        })
    }

    /// The fully-connected shape of `layer` at `batch` for input `(c, h, w)` (read flattened).
    pub fn linear_shape(
        &self,
        batch: usize,
        input: [usize; 3],
        layer: &Layer,
    ) -> Option<LinearShape> {
        match layer {
            Layer::Linear { out_f, .. } => Some(LinearShape {
                batch,
                in_f: input.iter().product(),
                out_f: *out_f,
            }),
            _ => None,
        }
    }

    /// The pooling shape of `layer` (a pool or a global average pool) at `batch` for input
    /// `(c, h, w)`.
    pub fn pool_shape(
        &self,
        batch: usize,
        input: [usize; 3],
        layer: &Layer,
    ) -> Option<Pool2dShape> {
        let [c, h, w] = input;
        match layer {
            Layer::Pool {
                kernel,
                stride,
                pad,
                ceil,
                ..
            } => Some(Pool2dShape {
                planes: batch * c,
                in_h: h,
                in_w: w,
                kernel: *kernel,
                stride: *stride,
                pad: *pad,
                ceil: *ceil,
            }),
            Layer::GlobalAvgPool => Some(Pool2dShape {
                planes: batch * c,
                in_h: h,
                in_w: w,
                kernel: [h, w],
                stride: [h, w],
                pad: [0; 4],
                ceil: false,
            }),
            _ => None,
        }
    }

    /// The padding of `layer` at `batch` for input `(c, h, w)`.
    pub fn pad_shape(&self, batch: usize, input: [usize; 3], layer: &Layer) -> Option<Pad2d> {
        match layer {
            Layer::Pad { pad, value } => Some(Pad2d {
                planes: batch * input[0],
                h: input[1],
                w: input[2],
                pad: *pad,
                value: *value,
            }),
            _ => None,
        }
    }

    /// The LRN shape of `layer` at `batch` for input `(c, h, w)`.
    pub fn lrn_shape(&self, batch: usize, input: [usize; 3], layer: &Layer) -> Option<LrnShape> {
        match layer {
            Layer::Lrn {
                size,
                alpha,
                beta,
                k,
            } => Some(LrnShape {
                batch,
                channels: input[0],
                spatial: input[1] * input[2],
                size: *size,
                alpha: *alpha,
                beta: *beta,
                k: *k,
            }),
            _ => None,
        }
    }

    /// The convolution shape of `layer` at `batch` for input `(c, h, w)`.
    pub fn conv_shape(
        &self,
        batch: usize,
        input: [usize; 3],
        layer: &Layer,
    ) -> Option<Conv2dShape> {
        match layer {
            Layer::Conv2d {
                out_c,
                kernel,
                stride,
                pad,
                dilation,
                groups,
                ..
            } => Some(Conv2dShape {
                batch,
                in_c: input[0],
                in_h: input[1],
                in_w: input[2],
                out_c: *out_c,
                kh: kernel[0],
                kw: kernel[1],
                stride: *stride,
                pad: *pad,
                dilation: *dilation,
                groups: *groups,
            }),
            _ => None,
        }
    }

    /// Number of classes: the last layer's width.
    pub fn num_classes(&self) -> usize {
        self.labels.len()
    }

    /// Refuses an architecture that is no classifier: fewer than two classes (a softmax over
    /// one class is 1 whatever the image, over none is nothing).
    pub fn check_classes(&self) -> std::result::Result<(), String> {
        match self.num_classes() {
            n @ (0 | 1) => Err(format!(
                "it has {n} class{}: a classifier needs at least 2",
                if n == 1 { "" } else { "es" }
            )),
            _ => Ok(()),
        }
    }

    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The tensors the architecture needs, in node order, with their shapes.
    pub fn params(&self) -> Result<Vec<ParamSpec>> {
        let shapes = self.shapes()?;
        let mut specs = Vec::new();
        for node in &self.nodes {
            let Some((name, [a, b])) = node.layer.param_names() else {
                continue;
            };
            let prev = self.value_shape(&shapes, node.inputs[0]);
            let (first, second) = match &node.layer {
                Layer::Conv2d {
                    out_c,
                    kernel,
                    groups,
                    ..
                } => (
                    vec![*out_c, prev[0] / groups, kernel[0], kernel[1]],
                    vec![*out_c],
                ),
                Layer::Linear { out_f, .. } => (vec![*out_f, prev.iter().product()], vec![*out_f]),
                _ => (vec![prev[0]], vec![prev[0]]),
            };
            specs.push(ParamSpec {
                name: format!("{name}.{a}"),
                shape: first,
            });
            specs.push(ParamSpec {
                name: format!("{name}.{b}"),
                shape: second,
            });
        }
        Ok(specs)
    }

    /// The index in [`Arch::params`] of each node's first parameter (the next node's for a
    /// node without any).
    pub fn first_params(&self) -> Vec<usize> {
        let mut p = 0;
        self.nodes
            .iter()
            .map(|n| {
                let first = p;
                if n.layer.param_names().is_some() {
                    p += 2;
                }
                first
            })
            .collect()
    }

    /// Multiply-adds of one image's forward pass.
    pub fn macs(&self) -> Result<u64> {
        Ok(self.layer_macs()?.iter().sum())
    }

    /// Multiply-adds of one image in each node (0 but for convolutions and fully-connected
    /// layers).
    pub fn layer_macs(&self) -> Result<Vec<u64>> {
        let shapes = self.shapes()?;
        Ok(self
            .nodes
            .iter()
            .zip(&shapes)
            .map(|(node, out)| {
                let prev = self.value_shape(&shapes, node.inputs[0]);
                match &node.layer {
                    Layer::Conv2d { kernel, groups, .. } => {
                        (out.iter().product::<usize>() * (prev[0] / groups) * kernel[0] * kernel[1])
                            as u64
                    }
                    Layer::Linear { out_f, .. } => (prev.iter().product::<usize>() * out_f) as u64,
                    _ => 0,
                }
            })
            .collect())
    }

    /// A short name for node `i`: its own for layers with parameters, else its kind and the
    /// name of the nearest named node before it (`relu(conv1)`, `maxpool(conv1)`).
    pub fn layer_label(&self, i: usize) -> String {
        self.node_label(i)
    }

    fn node_label(&self, i: usize) -> String {
        let named = |n: &Node| n.layer.param_names().map(|(name, _)| name.to_string());
        if let Some(n) = named(&self.nodes[i]) {
            return n;
        }
        let before = self.nodes[..i]
            .iter()
            .rev()
            .find_map(named)
            .unwrap_or_else(|| "input".into());
        format!("{}({before})", self.nodes[i].layer.kind())
    }
}
