//! Architectures as data: layers, shape inference, parameter names and shapes.

use crate::error::{Error, Result};
use crate::kernels::{caffe_pooled, Conv2dShape, LinearShape, LrnShape, Pool2dShape};

/// One layer. Activations are NCHW; a [`Layer::Linear`] reads its input flattened in
/// (C, H, W) order, as Caffe and PyTorch do.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// Tensors `{name}.weight` `(out_c, in_c / groups, kernel, kernel)` and `{name}.bias`.
    Conv2d {
        name: String,
        out_c: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
        groups: usize,
        relu: bool,
    },
    /// Caffe's max-pooling (output size rounded up).
    MaxPool2d {
        kernel: usize,
        stride: usize,
        pad: usize,
    },
    /// Tensors `{name}.weight` `(out_f, in_f)` and `{name}.bias`.
    Linear {
        name: String,
        out_f: usize,
        relu: bool,
    },
    /// ReLU on its own, for a layer that cannot take it fused.
    Relu,
    /// Local response normalisation across `size` channels (Caffe's ACROSS_CHANNELS):
    /// `y = x · (k + α/size · Σ x²)^(−β)`.
    Lrn {
        size: usize,
        alpha: f32,
        beta: f32,
        k: f32,
    },
    /// Dropout with drop probability `p` while training; the identity at inference, which is
    /// how every forward pass here runs.
    Dropout { p: f32 },
}

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
/// `c`, channels in `order`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pixels {
    pub order: ChannelOrder,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

/// A classifier: input shape, layers (a softmax follows the last one), class labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    pub name: String,
    /// `(channels, height, width)` of one input image.
    pub input: [usize; 3],
    pub pixels: Pixels,
    pub layers: Vec<Layer>,
    pub labels: Vec<String>,
}

impl Arch {
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

    /// The network's input for `(n, c, h, w)` 8-bit pixels already in its channel order.
    pub fn to_input(&self, pixels: &[u8]) -> Vec<f32> {
        let [c, h, w] = self.input;
        pixels
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let ch = (i / (h * w)) % c;
                (v as f32 - self.pixels.mean[ch]) / self.pixels.std[ch]
            })
            .collect()
    }

    /// The same architecture with its last (fully-connected) layer widened to
    /// `classes` outputs; labels past the current ones are `extra_label`, `extra_label-2`, ….
    /// The retraining experiment adds a "fooling" class this way.
    pub fn with_classes(mut self, classes: usize, extra_label: &str) -> Result<Arch> {
        match self.layers.last_mut() {
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

    /// The `(c, h, w)` output shape of every layer, in order; a linear layer's is `(f, 1, 1)`.
    pub fn shapes(&self) -> Result<Vec<[usize; 3]>> {
        let mut shape = self.input;
        let mut out = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let [c, h, w] = shape;
            shape = match layer {
                Layer::Conv2d {
                    name,
                    out_c,
                    kernel,
                    stride,
                    pad,
                    groups,
                    ..
                } => {
                    let s = self.conv_shape(1, shape, layer).expect("a conv layer");
                    s.validate().map_err(|e| Error::Shape {
                        kernel: format!("{} layer {name}", self.name),
                        what: "convolution".into(),
                        expected: format!("a valid {kernel}x{kernel}/{stride} pad {pad} groups {groups} convolution to {out_c} channels"),
                        found: format!("input (c, h, w) = {:?}: {e}", [c, h, w]),
                    })?;
                    [*out_c, s.out_h(), s.out_w()]
                }
                Layer::MaxPool2d {
                    kernel,
                    stride,
                    pad,
                } => {
                    if *kernel > h + 2 * pad || *kernel > w + 2 * pad || *stride == 0 {
                        return Err(Error::Shape {
                            kernel: format!("{} max-pool", self.name),
                            what: "window".into(),
                            expected: "a window within the padded input".into(),
                            found: format!("{kernel}/{stride} pad {pad} on {h}x{w}"),
                        });
                    }
                    [
                        c,
                        caffe_pooled(h, *kernel, *stride, *pad),
                        caffe_pooled(w, *kernel, *stride, *pad),
                    ]
                }
                Layer::Linear { out_f, .. } => [*out_f, 1, 1],
                Layer::Relu | Layer::Lrn { .. } | Layer::Dropout { .. } => shape,
            };
            out.push(shape);
        }
        Ok(out)
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

    /// The max-pooling shape of `layer` at `batch` for input `(c, h, w)`.
    pub fn pool_shape(
        &self,
        batch: usize,
        input: [usize; 3],
        layer: &Layer,
    ) -> Option<Pool2dShape> {
        match layer {
            Layer::MaxPool2d {
                kernel,
                stride,
                pad,
            } => Some(Pool2dShape {
                planes: batch * input[0],
                in_h: input[1],
                in_w: input[2],
                kernel: *kernel,
                stride: *stride,
                pad: *pad,
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
                groups,
                ..
            } => Some(Conv2dShape {
                batch,
                in_c: input[0],
                in_h: input[1],
                in_w: input[2],
                out_c: *out_c,
                kh: *kernel,
                kw: *kernel,
                stride: *stride,
                pad: *pad,
                groups: *groups,
            }),
            _ => None,
        }
    }

    /// Number of classes: the last layer's width.
    pub fn num_classes(&self) -> usize {
        self.labels.len()
    }

    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The tensors the architecture needs, in layer order, with their shapes.
    pub fn params(&self) -> Result<Vec<ParamSpec>> {
        let shapes = self.shapes()?;
        let mut specs = Vec::new();
        let mut prev = self.input;
        for (layer, out) in self.layers.iter().zip(&shapes) {
            match layer {
                Layer::Conv2d {
                    name,
                    out_c,
                    kernel,
                    groups,
                    ..
                } => {
                    specs.push(ParamSpec {
                        name: format!("{name}.weight"),
                        shape: vec![*out_c, prev[0] / groups, *kernel, *kernel],
                    });
                    specs.push(ParamSpec {
                        name: format!("{name}.bias"),
                        shape: vec![*out_c],
                    });
                }
                Layer::Linear { name, out_f, .. } => {
                    specs.push(ParamSpec {
                        name: format!("{name}.weight"),
                        shape: vec![*out_f, prev.iter().product()],
                    });
                    specs.push(ParamSpec {
                        name: format!("{name}.bias"),
                        shape: vec![*out_f],
                    });
                }
                _ => {}
            }
            prev = *out;
        }
        Ok(specs)
    }

    /// Multiply-adds of one image's forward pass.
    pub fn macs(&self) -> Result<u64> {
        Ok(self.layer_macs()?.iter().sum())
    }

    /// Multiply-adds of one image in each layer (0 for pooling, LRN, ReLU and dropout).
    pub fn layer_macs(&self) -> Result<Vec<u64>> {
        let shapes = self.shapes()?;
        let mut prev = self.input;
        let mut macs = Vec::with_capacity(shapes.len());
        for (layer, out) in self.layers.iter().zip(&shapes) {
            macs.push(match layer {
                Layer::Conv2d { kernel, groups, .. } => {
                    (out.iter().product::<usize>() * (prev[0] / groups) * kernel * kernel) as u64
                }
                Layer::Linear { out_f, .. } => (prev.iter().product::<usize>() * out_f) as u64,
                _ => 0,
            });
            prev = *out;
        }
        Ok(macs)
    }

    /// A short name for layer `i`: its own for convolutions and fully-connected layers,
    /// else its kind and the name of the layer before it (`relu(conv1)`, `pool(conv1)`).
    pub fn layer_label(&self, i: usize) -> String {
        let named = |l: &Layer| match l {
            Layer::Conv2d { name, .. } | Layer::Linear { name, .. } => Some(name.clone()),
            _ => None,
        };
        if let Some(n) = named(&self.layers[i]) {
            return n;
        }
        let kind = match &self.layers[i] {
            Layer::Relu => "relu",
            Layer::MaxPool2d { .. } => "pool",
            Layer::Lrn { .. } => "lrn",
            Layer::Dropout { .. } => "dropout",
            _ => "layer",
        };
        let before = self.layers[..i]
            .iter()
            .rev()
            .find_map(named)
            .unwrap_or_else(|| "input".into());
        format!("{kind}({before})")
    }
}
