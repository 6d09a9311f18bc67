//! `Add`, `Sub`, `Mul`, `Div` with at least one computed input: of two values (a residual
//! sum, a squeeze-excitation gate), or of a value and a constant (a per-channel scale or
//! offset, into the bias of the layer before it where it can go). With constants alone they
//! fold.

use super::super::{Importer, Known, Layout, Pending, Val};
use crate::error::Result;
use crate::nn::arch::Layer;
use crate::nn::onnx::proto::NodeProto;
use crate::nn::onnx::tensor::Const;

pub(super) fn binary(im: &mut Importer, node: &NodeProto) -> Result<()> {
    if im.all_const(node) {
        return im.fold(node);
    }
    let op = node.op_type();
    let is_val = |im: &Importer, k: usize| {
        matches!(
            im.known
                .get(node.input.get(k).map(String::as_str).unwrap_or_default()),
            Some(Known::Val(_))
        )
    };
    if is_val(im, 0) && is_val(im, 1) {
        let (a, b) = (im.val(node, 0)?, im.val(node, 1)?);
        let layer = match op {
            "Add" if a.shape == b.shape => Layer::Add,
            "Mul" => Layer::Mul,
            _ => {
                return Err(im.node_error(
                    node,
                    format!("{op} of two computed values of shapes {:?} and {:?} (supported: Add of equal shapes, Mul of equal shapes or by a (N, C, 1, 1) gate)", a.shape, b.shape),
                ))
            }
        };
        // the broadcast factor goes second
        let (a, b) = if b.shape != a.shape && a.shape == [b.shape[0], 1, 1] {
            (b, a)
        } else {
            (a, b)
        };
        let v = im.push(node, layer, vec![a.id, b.id], a.rank.max(b.rank))?;
        return im.set_val(node, v);
    }
    // one side a constant: a per-channel (or single) scale or offset, in any layout
    // (Keras's Rescaling and Normalization layers act on the NHWC input)
    let (xk, ck) = if is_val(im, 0) { (0, 1) } else { (1, 0) };
    let raw = im.val_any(node, xk)?;
    let x = match (raw.layout, raw.pending) {
        (Layout::Permuted(_), Pending::None) => raw,
        _ => im.val(node, xk)?,
    };
    let c = im.need_konst(node, ck)?;
    let channels = x.shape[0];
    let per_channel = channel_values(im, node, x, &c)?;
    let ones = vec![1.0f32; channels];
    let zeros = vec![0.0f32; channels];
    let (scale, shift) = match (op, xk) {
        ("Add", _) => {
            // a constant added after a layer with a bias: into its bias
            if im.sole_reader(node, xk) && x.layout == Layout::Plain {
                if let Some(name) = im.plain_affine_producer(x) {
                    let b = im.tensors.get_mut(&format!("{name}.bias")).expect("a bias");
                    for (v, &d) in b.data.iter_mut().zip(&per_channel) {
                        *v += d;
                    }
                    return im.set_val(node, x);
                }
            }
            (ones, per_channel)
        }
        ("Sub", 0) => (ones, per_channel.iter().map(|v| -v).collect()),
        ("Sub", _) => (vec![-1.0; channels], per_channel),
        ("Mul", _) => (per_channel, zeros),
        ("Div", 0) => (per_channel.iter().map(|v| 1.0 / v).collect(), zeros),
        _ => {
            return Err(im.node_error(
                node,
                "a constant divided by a computed value is not supported",
            ))
        }
    };
    im.affine(node, x, scale, shift)
}

/// A constant that broadcasts over `x` one value per channel (a scalar, or one value along
/// the axis that holds the channels: `(C)`, `(C, 1, 1)`, `(1, C, 1, 1)` for an NCHW image,
/// `(C)`, `(1, 1, C)` for an NHWC one, `(K)`, `(1, K)` for a vector): one value per channel.
fn channel_values(im: &Importer, node: &NodeProto, x: Val, c: &Const) -> Result<Vec<f32>> {
    let channels = x.shape[0];
    let v = c.floats();
    // the constant's dimensions against the value's, aligned on the right
    let rank = x.rank;
    let mut d = vec![1usize; rank.saturating_sub(c.dims().len())];
    d.extend_from_slice(c.dims());
    let channel_axis = match x.layout {
        Layout::Permuted(axes) => 1 + axes.iter().position(|&a| a == 0).unwrap_or(0),
        _ => 1,
    };
    let fits = v.len() == 1
        || (d.len() == rank
            && d.iter()
                .enumerate()
                .all(|(i, &n)| n == 1 || (i == channel_axis && n == channels)));
    if !fits {
        return Err(im.node_error(
            node,
            format!("a constant of dimensions {:?} against a value of {channels} channels (rank {rank}): only one value, or one per channel, is supported", c.dims()),
        ));
    }
    Ok(if v.len() == 1 {
        vec![v[0]; channels]
    } else {
        v
    })
}
