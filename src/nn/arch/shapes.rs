//! Shape inference of an architecture: each node's output shape from its inputs', checked
//! (an error names the node and what does not fit), and the kernel shapes of a node at a
//! batch size.

use super::{Arch, Layer, Node};
use crate::error::{Error, Result};
use crate::kernels::{Conv2dShape, LinearShape, LrnShape, Pad2d, Pool2dShape};

impl Arch {
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

    pub(super) fn shape_error(
        &self,
        i: usize,
        what: &str,
        expected: String,
        found: String,
    ) -> Error {
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
            return Err(Error::invalid(
                "architecture",
                format!("{} has no layers", self.name),
            ));
        }
        for i in 0..self.nodes.len() {
            let shape = self.output_shape(i, &out)?;
            out.push(shape);
        }
        Ok(out)
    }

    /// Node `i`'s output shape, given the output shapes of the nodes before it.
    pub(super) fn output_shape(&self, i: usize, before: &[[usize; 3]]) -> Result<[usize; 3]> {
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

    pub(super) fn node_shape(
        &self,
        i: usize,
        layer: &Layer,
        ins: &[[usize; 3]],
    ) -> Result<[usize; 3]> {
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
}
