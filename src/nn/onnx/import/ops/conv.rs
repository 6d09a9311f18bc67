//! `Conv` (with the zero padding before it, the batch normalisation after it folded in),
//! `Pad`, and `BatchNormalization` (into the convolution before it, else a per-channel
//! affine layer).

use super::super::{node_name, Importer, Known, Layout, Pending, Val};
use crate::error::Result;
use crate::kernels::Fused;
use crate::nn::arch::{Affine, Conv2d, Layer, Linear};
use crate::nn::onnx::proto::NodeProto;
use crate::nn::onnx::tensor::Const;
use crate::nn::weights::Tensor;

impl Importer {
    /// The padding of a convolution or pooling: `pads`, or what `auto_pad` asks for the
    /// input's `(h, w)`.
    pub(super) fn pads(
        &self,
        node: &NodeProto,
        hw: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
    ) -> Result<[usize; 4]> {
        let a = self.attrs(node);
        let auto = self.attr(node, a.string("auto_pad"))?.unwrap_or_default();
        match auto.as_str() {
            "" | "NOTSET" => {
                let p = self
                    .attr(node, a.ints("pads"))?
                    .unwrap_or_else(|| vec![0; 4]);
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
    pub(super) fn pair(
        &self,
        node: &NodeProto,
        name: &str,
        default: Option<[usize; 2]>,
    ) -> Result<[usize; 2]> {
        match self.attr(node, self.attrs(node).ints(name))? {
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

    pub(super) fn spatial_4d(&self, node: &NodeProto, x: Val) -> Result<()> {
        if x.rank != 4 {
            return Err(self.node_error(
                node,
                format!("expects an (N, C, H, W) input, found rank {}", x.rank),
            ));
        }
        Ok(())
    }

    /// The weight and bias tensors' names of the layer that computes `v`, when it is a
    /// convolution or fully-connected layer without a fused ReLU.
    pub(super) fn plain_affine_producer(&mut self, v: Val) -> Option<String> {
        match self.producer(v) {
            Some(Layer::Conv2d(Conv2d {
                name,
                act: Fused::None,
                ..
            }))
            | Some(Layer::Linear(Linear {
                name,
                act: Fused::None,
                ..
            })) => Some(name.clone()),
            _ => None,
        }
    }

    /// A per-channel `x · scale + shift` node (element-wise: the output keeps `x`'s layout).
    pub(super) fn affine(
        &mut self,
        node: &NodeProto,
        x: Val,
        scale: Vec<f32>,
        shift: Vec<f32>,
    ) -> Result<()> {
        let base = format!("{}.affine", node_name(node));
        let name = self.param_name(&base);
        let c = scale.len();
        let v = self.push(
            node,
            Layer::Affine(Affine { name: name.clone() }),
            vec![x.id],
            x.rank,
        )?;
        self.insert_params(
            &name,
            ["scale", "shift"],
            Tensor {
                shape: vec![c],
                data: scale,
            },
            Tensor {
                shape: vec![c],
                data: shift,
            },
        );
        self.set_val(
            node,
            Val {
                layout: x.layout,
                ..v
            },
        )
    }
}

pub(super) fn conv(im: &mut Importer, node: &NodeProto) -> Result<()> {
    // a zero padding before it, which nothing else reads, becomes its own
    let raw = im.val_any(node, 0)?;
    let (x, before) = match raw.pending {
        Pending::Pad { pad, value: 0.0 } if raw.layout == Layout::Plain => (
            Val {
                pending: Pending::None,
                ..raw
            },
            pad,
        ),
        _ => (im.val(node, 0)?, [0; 4]),
    };
    im.spatial_4d(node, x)?;
    let (dims, w, kernel) = conv_weights(im, node)?;
    let stride = im.pair(node, "strides", Some([1, 1]))?;
    let dilation = im.pair(node, "dilations", Some([1, 1]))?;
    let groups = im.attr(node, im.attrs(node).int("group", 1))?;
    if groups < 1 {
        return Err(im.node_error(node, format!("group {groups}")));
    }
    let padded_hw = [
        x.shape[1] + before[0] + before[2],
        x.shape[2] + before[1] + before[3],
    ];
    let own = im.pads(node, padded_hw, kernel, stride, dilation)?;
    let pad: [usize; 4] = std::array::from_fn(|i| own[i] + before[i]);
    let out_c = dims[0];
    let bias = conv_bias(im, node, out_c)?;
    if (dims[1] as u64).checked_mul(groups as u64) != Some(x.shape[0] as u64) {
        return Err(im.node_error(
            node,
            format!(
                "weights {dims:?} for {} input channels in {groups} groups",
                x.shape[0]
            ),
        ));
    }
    let name = im.param_name(node.input[1].as_str());
    let layer = Layer::Conv2d(Conv2d {
        name: name.clone(),
        out_c,
        kernel,
        stride,
        pad,
        dilation,
        groups: groups as usize,
        act: Fused::None,
    });
    let v = im.push(node, layer, vec![x.id], 4)?;
    im.insert_params(
        &name,
        ["weight", "bias"],
        Tensor {
            shape: dims,
            data: w,
        },
        Tensor {
            shape: vec![out_c],
            data: bias,
        },
    );
    im.set_val(node, v)
}

/// A convolution's float32 weights `(out_c, in_c / groups, kh, kw)`, with its kernel size
/// (which `kernel_shape`, where given, must match).
fn conv_weights(im: &Importer, node: &NodeProto) -> Result<(Vec<usize>, Vec<f32>, [usize; 2])> {
    let Const::F32 { dims, data: w } = im.need_konst(node, 1)? else {
        return Err(im.node_error(node, "the weights are not float32"));
    };
    if dims.len() != 4 {
        return Err(im.node_error(
            node,
            format!("weights of dimensions {dims:?}: 2-D convolutions only"),
        ));
    }
    let kernel = im.pair(node, "kernel_shape", Some([dims[2], dims[3]]))?;
    if kernel != [dims[2], dims[3]] {
        return Err(im.node_error(
            node,
            format!("kernel_shape {kernel:?} does not match the weights {dims:?}"),
        ));
    }
    Ok((dims, w, kernel))
}

/// A convolution's bias: `out_c` values, or zeros where it has none.
fn conv_bias(im: &Importer, node: &NodeProto, out_c: usize) -> Result<Vec<f32>> {
    Ok(match im.konst(node, 2)? {
        Some(b) if b.len() == out_c => b.floats(),
        Some(b) => {
            return Err(im.node_error(
                node,
                format!("a bias of {} values for {out_c} channels", b.len()),
            ))
        }
        None => vec![0.0; out_c],
    })
}

/// `Pad` in constant mode over the height and width: pending on its value, so a convolution
/// that reads it takes a zero padding into its own, and any other reader a padding layer.
pub(super) fn pad(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let (pads, value) = pad_attrs(im, node)?;
    let x = im.val_any(node, 0)?;
    if x.rank != 4 || pads.len() != 8 || pads.iter().any(|&p| p < 0) || !value.is_finite() {
        return Err(im.node_error(
            node,
            format!("pads {pads:?} with value {value} on a rank-{} value: only non-negative padding of an (N, C, H, W) image by a finite value", x.rank),
        ));
    }
    // the ONNX axes' pads, begins then ends, onto the stored axes (through an NHWC layout)
    let axes = match x.layout {
        Layout::Plain => [0, 1, 2],
        Layout::Permuted(a) => a,
        Layout::Flat { .. } => unreachable!("a rank-4 value"),
    };
    let mut begin = [0usize; 3];
    let mut end = [0usize; 3];
    for i in 0..3 {
        begin[axes[i]] = pads[1 + i] as usize;
        end[axes[i]] = pads[5 + i] as usize;
    }
    if pads[0] != 0 || pads[4] != 0 || begin[0] != 0 || end[0] != 0 {
        return Err(im.node_error(
            node,
            format!("pads {pads:?}: only the height and width are padded"),
        ));
    }
    let add = [begin[1], begin[2], end[1], end[2]];
    let v = match x.pending {
        // two paddings in a row add up when they pad with the same value
        Pending::Pad { pad, value: v0 } if v0 == value => Val {
            pending: Pending::Pad {
                pad: std::array::from_fn(|i| pad[i] + add[i]),
                value,
            },
            ..x
        },
        _ => {
            let base = if x.pending == Pending::None {
                x
            } else {
                // made first (a softmax is refused there)
                let made = im.val(node, 0)?;
                Val {
                    layout: x.layout,
                    ..made
                }
            };
            Val {
                pending: Pending::Pad { pad: add, value },
                ..base
            }
        }
    };
    im.set(node, 0, Known::Val(v));
    Ok(())
}

/// A `Pad`'s pads and value, from its inputs (opset 11 and later) or its attributes; constant
/// mode over every axis only.
fn pad_attrs(im: &Importer, node: &NodeProto) -> Result<(Vec<i64>, f32)> {
    let a = im.attrs(node);
    let mode = im
        .attr(node, a.string("mode"))?
        .unwrap_or_else(|| "constant".into());
    if mode != "constant" {
        return Err(im.node_error(
            node,
            format!("mode {mode:?}: only constant padding (zero or a value) is supported"),
        ));
    }
    let pads = match im.konst(node, 1)? {
        Some(c) => c.ints().map_err(|m| im.node_error(node, m))?,
        None => im.attr(node, a.ints("pads"))?.unwrap_or_default(),
    };
    let value = match im.konst(node, 2)? {
        Some(c) if c.len() == 1 => c.floats()[0],
        Some(c) => {
            return Err(im.node_error(node, format!("a padding value of {} values", c.len())))
        }
        None => im.attr(node, a.float("value", 0.0))?,
    };
    if node.input.get(3).is_some_and(|n| !n.is_empty()) {
        return Err(im.node_error(node, "the axes input is not supported (pad every axis)"));
    }
    Ok((pads, value))
}

pub(super) fn batchnorm(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let a = im.attrs(node);
    if im.attr(node, a.int("training_mode", 0))? != 0 {
        return Err(im.node_error(node, "training_mode: export the model in eval mode"));
    }
    let eps = im.attr(node, a.float("epsilon", 1e-5))?;
    let x = im.val(node, 0)?;
    let c = x.shape[0];
    let mut vecs = Vec::new();
    for k in 1..5 {
        let t = im.need_konst(node, k)?;
        if t.len() != c {
            return Err(im.node_error(
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
    if x.rank == 4 && im.sole_reader(node, 0) {
        if let Some(name) = im.plain_affine_producer(x) {
            if matches!(im.producer(x), Some(Layer::Conv2d(Conv2d { .. }))) {
                let w = im
                    .tensors
                    .get_mut(&format!("{name}.weight"))
                    .expect("conv weights");
                let per = w.data.len() / c;
                for (i, v) in w.data.iter_mut().enumerate() {
                    *v = (*v as f64 * scale[i / per] as f64) as f32;
                }
                let b = im
                    .tensors
                    .get_mut(&format!("{name}.bias"))
                    .expect("conv bias");
                for (i, v) in b.data.iter_mut().enumerate() {
                    *v = (*v as f64 * scale[i] as f64 + shift[i] as f64) as f32;
                }
                return im.set_val(node, x);
            }
        }
    }
    im.affine(node, x, scale, shift)
}
