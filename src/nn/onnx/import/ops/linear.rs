//! `Gemm` and `MatMul` by constant weights: a fully-connected layer (the `Add` of a bias after
//! a `MatMul` goes into its bias). An input flattened from a transposed image (Keras's
//! Flatten of an NHWC tensor) takes the permutation into the weights' columns.

use super::super::{Importer, Layout, Pending, Val};
use crate::error::Result;
use crate::kernels::Fused;
use crate::nn::arch::{Layer, Linear};
use crate::nn::onnx::proto::NodeProto;
use crate::nn::onnx::tensor::Const;
use crate::nn::weights::Tensor;

/// For each stored position of a `from`-shaped image whose ONNX axes are `axes` of it, the
/// position of its value in the flattening of the ONNX tensor.
fn flat_order(axes: [usize; 3], from: [usize; 3]) -> Vec<usize> {
    let dims = axes.map(|a| from[a]);
    let mut out = vec![0; from.iter().product()];
    for (s, slot) in out.iter_mut().enumerate() {
        let stored = [
            s / (from[1] * from[2]),
            (s / from[2]) % from[1],
            s % from[2],
        ];
        let l = axes.map(|a| stored[a]);
        *slot = (l[0] * dims[1] + l[1]) * dims[2] + l[2];
    }
    out
}

pub(super) fn linear(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let raw = im.val_any(node, 0)?;
    let (x, order) = match (raw.layout, raw.pending) {
        (Layout::Flat { axes, from }, Pending::None) => (
            Val {
                layout: Layout::Plain,
                ..raw
            },
            Some(flat_order(axes, from)),
        ),
        _ => (im.val(node, 0)?, None),
    };
    if x.rank != 2 {
        return Err(im.node_error(
            node,
            format!(
                "expects an (N, K) input, found rank {} (flatten it first)",
                x.rank
            ),
        ));
    }
    let (w, bias) = weights(im, node, x.shape[0], order.as_deref())?;
    let out_f = bias.len();
    let in_f = x.shape[0];
    let name = im.param_name(node.input[1].as_str());
    let v = im.push(
        node,
        Layer::Linear(Linear {
            name: name.clone(),
            out_f,
            act: Fused::None,
        }),
        vec![x.id],
        2,
    )?;
    im.insert_params(
        &name,
        ["weight", "bias"],
        Tensor {
            shape: vec![out_f, in_f],
            data: w,
        },
        Tensor {
            shape: vec![out_f],
            data: bias,
        },
    );
    im.set_val(node, v)
}

/// The layer's `(out_f, in_f)` weights (times Gemm's alpha; column s reads the input's value
/// s as stored, `order` giving where it sits in the ONNX flattening) and its bias (times beta).
fn weights(
    im: &Importer,
    node: &NodeProto,
    inputs: usize,
    order: Option<&[usize]>,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let gemm = node.op_type() == "Gemm";
    let a = im.attrs(node);
    if gemm && im.attr(node, a.int("transA", 0))? != 0 {
        return Err(im.node_error(node, "transA = 1 is not supported"));
    }
    let trans_b = gemm && im.attr(node, a.int("transB", 0))? != 0;
    let Const::F32 { dims, data } = im.need_konst(node, 1)? else {
        return Err(im.node_error(node, "the weights are not float32"));
    };
    if dims.len() != 2 {
        return Err(im.node_error(node, format!("weights of dimensions {dims:?}")));
    }
    let (in_f, out_f) = if trans_b {
        (dims[1], dims[0])
    } else {
        (dims[0], dims[1])
    };
    if in_f != inputs {
        return Err(im.node_error(
            node,
            format!("weights {dims:?} for an input of {inputs} values"),
        ));
    }
    let alpha = if gemm {
        im.attr(node, a.float("alpha", 1.0))?
    } else {
        1.0
    };
    let beta = if gemm {
        im.attr(node, a.float("beta", 1.0))?
    } else {
        1.0
    };
    // (out_f, in_f), row-major, times alpha; column s reads input value s as stored
    let at = |o: usize, k: usize| {
        if trans_b {
            data[o * in_f + k]
        } else {
            data[k * out_f + o]
        }
    };
    let w: Vec<f32> = (0..out_f * in_f)
        .map(|i| {
            let (o, s) = (i / in_f, i % in_f);
            let k = order.map_or(s, |ord| ord[s]);
            at(o, k) * alpha
        })
        .collect();
    let bias = match if gemm { im.konst(node, 2)? } else { None } {
        None => vec![0.0; out_f],
        Some(c) if c.len() == out_f => c.floats().iter().map(|v| v * beta).collect(),
        Some(c) if c.len() == 1 => vec![c.floats()[0] * beta; out_f],
        Some(c) => {
            return Err(im.node_error(
                node,
                format!("a bias of dimensions {:?} for {out_f} outputs", c.dims()),
            ))
        }
    };
    Ok((w, bias))
}
