//! Architectures as data: layers, shape inference, parameter names and shapes.

use crate::error::{Error, Result};
use crate::kernels::{caffe_pooled, Conv2dShape, LinearShape, Pool2dShape};

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

/// A classifier: input shape, layers (a softmax follows the last one), class labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    pub name: String,
    /// `(channels, height, width)` of one input image.
    pub input: [usize; 3],
    /// What one 8-bit pixel value is multiplied by to make the network's input.
    pub pixel_scale: f32,
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
        pixel_scale: 1.0 / 256.0,
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

/// The architecture called `name` (as `--net` spells it).
pub fn by_name(name: &str) -> Result<Arch> {
    match name {
        "lenet" => Ok(lenet()),
        _ => Err(Error::Option {
            option: "--net".into(),
            message: format!("unknown network '{name}' (known: lenet)"),
        }),
    }
}

impl Arch {
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
                Layer::Relu => shape,
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
        let shapes = self.shapes()?;
        let mut prev = self.input;
        let mut macs = 0u64;
        for (layer, out) in self.layers.iter().zip(&shapes) {
            macs += match layer {
                Layer::Conv2d { kernel, groups, .. } => {
                    (out.iter().product::<usize>() * (prev[0] / groups) * kernel * kernel) as u64
                }
                Layer::Linear { out_f, .. } => (prev.iter().product::<usize>() * out_f) as u64,
                _ => 0,
            };
            prev = *out;
        }
        Ok(macs)
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
    fn unknown_net_is_an_error_naming_the_option() {
        let e = by_name("resnet").unwrap_err().to_string();
        assert!(e.contains("--net") && e.contains("resnet"), "{e}");
    }
}
