//! The layers with weights and windows: convolutions (with the batch normalisations and
//! ReLUs that fold into them), per-channel affine maps, activations, pooling and
//! fully-connected layers.

use super::{attr_f, attr_i, attr_ints, attr_s, node_name, Importer, Known, Val};
use crate::error::Result;
use crate::kernels::Activation;
use crate::nn::arch::{Layer, PoolKind};
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
    pub(super) fn pair(
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

    pub(super) fn spatial_4d(&self, node: &NodeProto, x: Val) -> Result<()> {
        if x.rank != 4 {
            return Err(self.node_error(
                node,
                format!("expects an (N, C, H, W) input, found rank {}", x.rank),
            ));
        }
        Ok(())
    }

    pub(super) fn conv(&mut self, node: &NodeProto) -> Result<()> {
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
    pub(super) fn plain_affine_producer(&mut self, v: Val) -> Option<String> {
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

    pub(super) fn batchnorm(&mut self, node: &NodeProto) -> Result<()> {
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

    pub(super) fn relu(&mut self, node: &NodeProto) -> Result<()> {
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

    pub(super) fn act(&mut self, node: &NodeProto, f: Activation) -> Result<()> {
        let x = self.val(node, 0)?;
        let v = self.push(node, Layer::Act(f), vec![x.id], x.rank)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    pub(super) fn clip(&mut self, node: &NodeProto) -> Result<()> {
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

    pub(super) fn pool(&mut self, node: &NodeProto) -> Result<()> {
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

    pub(super) fn linear(&mut self, node: &NodeProto) -> Result<()> {
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
}
