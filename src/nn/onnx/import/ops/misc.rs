//! `Constant`, `Identity` and `Dropout` (the identity at inference), `LRN`, `Softmax` and
//! `LogSoftmax` (the classifier's probabilities: the value before them is the logits), and
//! the shape arithmetic that folds when the model loads (`Shape`, `Gather`, `Cast`,
//! `ConstantOfShape`, `Slice`).

use super::super::{Importer, Known, Pending, Val};
use crate::error::Result;
use crate::nn::arch::{Layer, Lrn};
use crate::nn::onnx::proto::NodeProto;
use crate::nn::onnx::tensor::{decode, Const};

pub(super) fn constant(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let a = node
        .attribute
        .first()
        .ok_or_else(|| im.node_error(node, "no value"))?;
    let attrs = im.attrs(node);
    let c = match a.name() {
        "value" => {
            let t = im
                .attr(node, attrs.tensor("value"))?
                .ok_or_else(|| im.node_error(node, "no tensor"))?;
            let dir = im.dir.clone();
            decode(t, &dir, &mut im.files).map_err(|m| im.node_error(node, m))?
        }
        "value_float" => Const::F32 {
            dims: vec![],
            data: vec![im.attr(node, attrs.float("value_float", 0.0))?],
        },
        "value_floats" => {
            let data = im
                .attr(node, attrs.floats("value_floats"))?
                .unwrap_or_default();
            Const::F32 {
                dims: vec![data.len()],
                data,
            }
        }
        "value_int" => Const::I64 {
            dims: vec![],
            data: vec![im.attr(node, attrs.int("value_int", 0))?],
        },
        "value_ints" => {
            let data = im.attr(node, attrs.ints("value_ints"))?.unwrap_or_default();
            Const::I64 {
                dims: vec![data.len()],
                data,
            }
        }
        other => return Err(im.node_error(node, format!("a constant's {other} is not supported"))),
    };
    im.set(node, 0, Known::Const(c));
    Ok(())
}

/// `Identity`, and `Dropout` at inference: the input, whatever it is.
pub(super) fn identity(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let k = im
        .known
        .get(node.input.first().map(String::as_str).unwrap_or_default())
        .cloned()
        .ok_or_else(|| im.node_error(node, "its input is not defined before it"))?;
    im.set(node, 0, k);
    Ok(())
}

pub(super) fn lrn(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = im.val(node, 0)?;
    let a = im.attrs(node);
    let size = im.attr(node, a.int("size", 0))?;
    if size <= 0 || size % 2 == 0 {
        return Err(im.node_error(node, "size must be an odd number of channels"));
    }
    let layer = Layer::Lrn(Lrn {
        size: size as usize,
        alpha: im.attr(node, a.float("alpha", 1e-4))?,
        beta: im.attr(node, a.float("beta", 0.75))?,
        k: im.attr(node, a.float("bias", 1.0))?,
    });
    let v = im.push(node, layer, vec![x.id], x.rank)?;
    im.set_val(node, v)
}

/// `Softmax` or `LogSoftmax` over the classes of an `(N, K)` value: the probabilities every
/// confidence here is, of that value as the logits. Views and `Identity` may follow it; any
/// other reader is refused, and the model's output must be it.
pub(super) fn softmax(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = im.val(node, 0)?;
    let axis = im.attr(node, im.attrs(node).int("axis", -1))?;
    if x.rank != 2 || !(axis == -1 || axis == 1) {
        return Err(im.node_error(node, format!("a softmax over axis {axis} of a rank-{} value (only over the classes of an (N, K) output)", x.rank)));
    }
    im.set_val(
        node,
        Val {
            pending: Pending::Softmax,
            ..x
        },
    )
}

/// The shape arithmetic exporters write around views, evaluated when the model loads.
pub(super) fn fold(im: &mut Importer, node: &NodeProto) -> Result<()> {
    im.fold(node)
}
