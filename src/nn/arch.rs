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

/// Caffe's MNIST LeNet (PAPER.md section 5): conv1 20×5×5 → max-pool 2/2 → conv2 50×5×5 →
/// max-pool 2/2 → ip1 500 + ReLU → ip2 10 → softmax; input `(1, 28, 28)` = pixel / 256.
pub fn lenet() -> Arch {
    let conv = |name: &str, out_c| Layer::Conv2d {
        name: name.into(),
        out_c,
        kernel: 5,
        stride: 1,
        pad: 0,
        groups: 1,
        relu: false,
    };
    let pool = Layer::MaxPool2d {
        kernel: 2,
        stride: 2,
        pad: 0,
    };
    Arch {
        name: "lenet".into(),
        input: [1, 28, 28],
        pixels: Pixels {
            order: ChannelOrder::Grey,
            mean: vec![0.0],
            std: vec![256.0],
        },
        layers: vec![
            conv("conv1", 20),
            pool.clone(),
            conv("conv2", 50),
            pool,
            Layer::Linear {
                name: "ip1".into(),
                out_f: 500,
                relu: true,
            },
            Layer::Linear {
                name: "ip2".into(),
                out_f: 10,
                relu: false,
            },
        ],
        labels: (0..10).map(|d| d.to_string()).collect(),
    }
}

/// A perceptron with two hidden layers for MNIST, the "different architecture, same data" of
/// the transfer experiment (PAPER.md section 7): ip1 500 + ReLU → ip2 300 + ReLU → ip3 10 →
/// softmax; input `(1, 28, 28)` = pixel / 256, as LeNet's.
pub fn mlp() -> Arch {
    let fc = |name: &str, out_f, relu| Layer::Linear {
        name: name.into(),
        out_f,
        relu,
    };
    Arch {
        name: "mlp".into(),
        layers: vec![
            fc("ip1", 500, true),
            fc("ip2", 300, true),
            fc("ip3", 10, false),
        ],
        ..lenet()
    }
}

/// The 1,000 ILSVRC-2012 class names in output order (data/imagenet_labels.txt).
pub fn imagenet_labels() -> Vec<String> {
    include_str!("../../data/imagenet_labels.txt")
        .lines()
        .map(String::from)
        .collect()
}

/// The BVLC reference CaffeNet (PAPER.md section 5), input `(3, 227, 227)` BGR minus the
/// ILSVRC-2012 per-channel mean: conv1 96×11×11/4 + ReLU → max-pool 3/2 → LRN 5 → conv2
/// 256×5×5 pad 2 groups 2 + ReLU → max-pool 3/2 → LRN 5 → conv3 384×3×3 pad 1 + ReLU → conv4
/// 384×3×3 pad 1 groups 2 + ReLU → conv5 256×3×3 pad 1 groups 2 + ReLU → max-pool 3/2 → fc6
/// 4096 + ReLU → dropout → fc7 4096 + ReLU → dropout → fc8 1000 → softmax.
pub fn caffenet() -> Arch {
    caffenet_narrow(1)
}

/// CaffeNet with every channel count and hidden width divided by `divisor` (and the same
/// geometry, layer kinds and 1000 classes): the small twin the PyTorch fixtures use.
pub fn caffenet_narrow(divisor: usize) -> Arch {
    let d = divisor.max(1);
    let conv = |name: &str, out_c: usize, kernel, stride, pad, groups| Layer::Conv2d {
        name: name.into(),
        out_c: out_c / d,
        kernel,
        stride,
        pad,
        groups,
        relu: true,
    };
    let pool = || Layer::MaxPool2d {
        kernel: 3,
        stride: 2,
        pad: 0,
    };
    let lrn = || Layer::Lrn {
        size: 5,
        alpha: 1e-4,
        beta: 0.75,
        k: 1.0,
    };
    let fc = |name: &str, out_f: usize, relu| Layer::Linear {
        name: name.into(),
        out_f,
        relu,
    };
    Arch {
        name: if d == 1 {
            "caffenet".into()
        } else {
            format!("caffenet/{d}")
        },
        input: [3, 227, 227],
        pixels: Pixels {
            order: ChannelOrder::Bgr,
            mean: vec![104.007, 116.669, 122.679],
            std: vec![1.0; 3],
        },
        layers: vec![
            conv("conv1", 96, 11, 4, 0, 1),
            pool(),
            lrn(),
            conv("conv2", 256, 5, 1, 2, 2),
            pool(),
            lrn(),
            conv("conv3", 384, 3, 1, 1, 1),
            conv("conv4", 384, 3, 1, 1, 2),
            conv("conv5", 256, 3, 1, 1, 2),
            pool(),
            fc("fc6", 4096 / d, true),
            Layer::Dropout { p: 0.5 },
            fc("fc7", 4096 / d, true),
            Layer::Dropout { p: 0.5 },
            fc("fc8", 1000, false),
        ],
        labels: imagenet_labels(),
    }
}

/// torchvision's `alexnet` (64/192/384/256/256 channels, no LRN, no groups), input `(3, 224,
/// 224)` RGB normalised by ImageNet's mean and standard deviation as torchvision does
/// (`(pixel/255 − mean) / std`). Layers keep torchvision's names (`features.0`, …,
/// `classifier.6`), so its state dict loads as it is; its adaptive average pool is the
/// identity at this input size (the features are already 6×6) and is left out.
pub fn alexnet() -> Arch {
    let conv = |name: &str, out_c, kernel, stride, pad| Layer::Conv2d {
        name: name.into(),
        out_c,
        kernel,
        stride,
        pad,
        groups: 1,
        relu: true,
    };
    let pool = || Layer::MaxPool2d {
        kernel: 3,
        stride: 2,
        pad: 0,
    };
    let fc = |name: &str, out_f, relu| Layer::Linear {
        name: name.into(),
        out_f,
        relu,
    };
    Arch {
        name: "alexnet".into(),
        input: [3, 224, 224],
        pixels: Pixels {
            order: ChannelOrder::Rgb,
            mean: vec![0.485 * 255.0, 0.456 * 255.0, 0.406 * 255.0],
            std: vec![0.229 * 255.0, 0.224 * 255.0, 0.225 * 255.0],
        },
        layers: vec![
            conv("features.0", 64, 11, 4, 2),
            pool(),
            conv("features.3", 192, 5, 1, 2),
            pool(),
            conv("features.6", 384, 3, 1, 1),
            conv("features.8", 256, 3, 1, 1),
            conv("features.10", 256, 3, 1, 1),
            pool(),
            Layer::Dropout { p: 0.5 },
            fc("classifier.1", 4096, true),
            Layer::Dropout { p: 0.5 },
            fc("classifier.4", 4096, true),
            fc("classifier.6", 1000, false),
        ],
        labels: imagenet_labels(),
    }
}

/// The architecture called `name` (as `--net` spells it).
pub fn by_name(name: &str) -> Result<Arch> {
    match name {
        "lenet" => Ok(lenet()),
        "mlp" => Ok(mlp()),
        "caffenet" => Ok(caffenet()),
        "alexnet" => Ok(alexnet()),
        _ => match name.strip_prefix("caffenet/").map(str::parse::<usize>) {
            Some(Ok(d)) if d >= 1 && 16 % d == 0 => Ok(caffenet_narrow(d)),
            _ => Err(Error::Option {
                option: "--net".into(),
                message: format!(
                    "unknown network '{name}' (known: lenet, mlp, caffenet, alexnet, and caffenet/N: \
                     CaffeNet at 1/N of its width, N = 2, 4, 8 or 16)"
                ),
            }),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenet_matches_the_paper() {
        let a = lenet();
        let shapes = a.shapes().unwrap();
        assert_eq!(
            shapes,
            vec![
                [20, 24, 24],
                [20, 12, 12],
                [50, 8, 8],
                [50, 4, 4],
                [500, 1, 1],
                [10, 1, 1]
            ]
        );
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 431_080);
        assert_eq!(a.macs().unwrap(), 2_293_000);
        let names: Vec<_> = a
            .params()
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.shape))
            .collect();
        assert_eq!(names[0], ("conv1.weight".to_string(), vec![20, 1, 5, 5]));
        assert_eq!(names[4], ("ip1.weight".to_string(), vec![500, 800]));
        assert_eq!(names[6], ("ip2.weight".to_string(), vec![10, 500]));
    }

    #[test]
    fn caffenet_matches_the_paper() {
        let a = caffenet();
        let shapes = a.shapes().unwrap();
        assert_eq!(shapes[0], [96, 55, 55]);
        assert_eq!(shapes[1], [96, 27, 27]); // round-up pooling
        assert_eq!(shapes[4], [256, 13, 13]);
        assert_eq!(shapes[9], [256, 6, 6]);
        assert_eq!(*shapes.last().unwrap(), [1000, 1, 1]);
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 60_965_224);
        // PAPER.md's 724 M: the convolutions and fully-connected layers of one crop
        assert_eq!(a.macs().unwrap() / 1_000_000, 724);
        let names: Vec<_> = a
            .params()
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.shape))
            .collect();
        assert_eq!(names[2], ("conv2.weight".to_string(), vec![256, 48, 5, 5]));
        assert_eq!(names[10], ("fc6.weight".to_string(), vec![4096, 9216]));
        assert_eq!(a.labels.len(), 1000);
        assert_eq!(a.labels[0], "tench");
    }

    #[test]
    fn alexnet_matches_torchvision() {
        let a = alexnet();
        let shapes = a.shapes().unwrap();
        assert_eq!(shapes[0], [64, 55, 55]);
        assert_eq!(shapes[7], [256, 6, 6]);
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 61_100_840); // torchvision's count
        let names: Vec<_> = a.params().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names[0], "features.0.weight");
        assert_eq!(names[15], "classifier.6.bias");
    }

    #[test]
    fn unknown_net_is_an_error_naming_the_option() {
        let e = by_name("resnet").unwrap_err().to_string();
        assert!(e.contains("--net") && e.contains("resnet"), "{e}");
    }
}
