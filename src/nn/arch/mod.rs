//! Architectures as data: a network is a graph of [`Node`]s, each a [`Layer`] applied to the
//! outputs of earlier nodes (so a value may fan out, and sums and concatenations join
//! branches), with shape inference, parameter names and shapes, and the preprocessing its
//! input expects. The built-in architectures are chains in this representation; ONNX models
//! are general graphs.

mod shapes;

pub use super::layers::{
    Affine, Conv2d, Dropout, Layer, Linear, Lrn, Node, Pad, Pool, PoolKind, Reshape,
};
use crate::error::{Error, Result};

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
            return Err(Error::setting(
                "net",
                format!(
                    "{} takes {:?} input with a mean; this needs a grey network without one",
                    self.name, p.order
                ),
            ));
        }
        Ok(1.0 / p.std[0])
    }

    /// `(mean, 1 / std)` of a grey network's input, in pixel units: the input of 8-bit pixel
    /// `p` is `(p − mean) · (1 / std)`; an error naming the network for a colour one.
    pub fn grey_pixels(&self) -> Result<(f32, f32)> {
        let p = &self.pixels;
        if self.input[0] != 1 {
            return Err(Error::setting(
                "net",
                format!(
                    "{} takes colour input; this needs a grey network",
                    self.name
                ),
            ));
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
            Some(Layer::Linear(linear)) => linear.out_f = classes,
            _ => {
                return Err(Error::invalid(
                    "classes",
                    format!("{} does not end in a fully-connected layer", self.name),
                ))
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
            let [first, second] = node.layer.op().param_shapes(prev);
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
                node.layer.op().macs(prev, *out)
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
