//! The element-wise activations: ReLU and Clip from 0 (ReLU6: into the convolution or
//! fully-connected layer before it where nothing else reads that), LeakyReLU, other Clips,
//! sigmoid, tanh, hard sigmoid, hard swish. Element-wise, so they keep a value's layout.

use super::super::{Importer, Layout, Pending, Val};
use crate::error::Result;
use crate::kernels::{Activation, Fused};
use crate::nn::arch::{Conv2d, Layer, Linear};
use crate::nn::onnx::proto::NodeProto;

/// The input of an element-wise node: any layout (the output keeps it), what is pending on
/// a plain value made.
fn elementwise(im: &mut Importer, node: &NodeProto) -> Result<Val> {
    let raw = im.val_any(node, 0)?;
    match (raw.layout, raw.pending) {
        (Layout::Plain, _) => im.val(node, 0),
        (_, Pending::None) => Ok(raw),
        _ => Err(im.node_error(
            node,
            "an activation of a padded or softmaxed transposed value is not supported",
        )),
    }
}

fn push_act(im: &mut Importer, node: &NodeProto, x: Val, layer: Layer) -> Result<()> {
    let v = im.push(node, layer, vec![x.id], x.rank)?;
    im.set_val(
        node,
        Val {
            layout: x.layout,
            ..v
        },
    )
}

pub(super) fn relu(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = elementwise(im, node)?;
    if fuse(im, node, x, f32::INFINITY) {
        return im.set_val(node, x);
    }
    push_act(im, node, x, Layer::Relu)
}

/// Whether a ReLU capped at `cap` went into the convolution or fully-connected layer that
/// made `x`: only where the node is that value's sole reader and the layer has no activation.
fn fuse(im: &mut Importer, node: &NodeProto, x: Val, cap: f32) -> bool {
    if !im.sole_reader(node, 0) {
        return false;
    }
    match im.producer(x) {
        Some(Layer::Conv2d(Conv2d { act, .. })) | Some(Layer::Linear(Linear { act, .. }))
            if *act == Fused::None =>
        {
            *act = Fused::Relu(cap);
            true
        }
        _ => false,
    }
}

fn act(im: &mut Importer, node: &NodeProto, f: Activation) -> Result<()> {
    let x = elementwise(im, node)?;
    push_act(im, node, x, Layer::Act(f))
}

pub(super) fn leaky_relu(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let alpha = im.attr(node, im.attrs(node).float("alpha", 0.01))?;
    act(im, node, Activation::LeakyRelu { alpha })
}

pub(super) fn sigmoid(im: &mut Importer, node: &NodeProto) -> Result<()> {
    act(im, node, Activation::Sigmoid)
}

pub(super) fn tanh(im: &mut Importer, node: &NodeProto) -> Result<()> {
    act(im, node, Activation::Tanh)
}

pub(super) fn hard_sigmoid(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let a = im.attrs(node);
    let alpha = im.attr(node, a.float("alpha", 0.2))?;
    let beta = im.attr(node, a.float("beta", 0.5))?;
    act(im, node, Activation::HardSigmoid { alpha, beta })
}

pub(super) fn hard_swish(im: &mut Importer, node: &NodeProto) -> Result<()> {
    act(im, node, Activation::HardSwish)
}

pub(super) fn clip(im: &mut Importer, node: &NodeProto) -> Result<()> {
    // opset 11 and later: bounds as inputs; before, as attributes
    let a = im.attrs(node);
    let bound = |im: &Importer, k: usize, attr_name: &str, default: f32| -> Result<f32> {
        match im.konst(node, k)? {
            Some(c) if c.len() == 1 => Ok(c.floats()[0]),
            Some(c) => Err(im.node_error(node, format!("a bound of {} values", c.len()))),
            None => im.attr(node, a.float(attr_name, default)),
        }
    };
    let lo = bound(im, 1, "min", f32::NEG_INFINITY)?;
    let hi = bound(im, 2, "max", f32::INFINITY)?;
    if lo == 0.0 && hi == f32::INFINITY {
        return relu(im, node);
    }
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        return Err(im.node_error(node, format!("bounds {lo} and {hi}")));
    }
    let x = elementwise(im, node)?;
    if lo == 0.0 && fuse(im, node, x, hi) {
        return im.set_val(node, x);
    }
    push_act(im, node, x, Layer::Act(Activation::Clip { lo, hi }))
}
