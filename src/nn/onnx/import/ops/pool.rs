//! Pooling: `MaxPool`, `AveragePool`, the global poolings, and `ReduceMean` over the spatial
//! axes (global average pooling as TensorFlow writes it).

use super::super::Importer;
use crate::error::Result;
use crate::nn::arch::{Layer, Pool, PoolKind};
use crate::nn::onnx::proto::NodeProto;

pub(super) fn pool(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = im.val(node, 0)?;
    im.spatial_4d(node, x)?;
    let kernel = im.pair(node, "kernel_shape", None)?;
    let stride = im.pair(node, "strides", Some([1, 1]))?;
    if im.pair(node, "dilations", Some([1, 1]))? != [1, 1] {
        return Err(im.node_error(node, "dilated pooling is not supported"));
    }
    let a = im.attrs(node);
    if im.attr(node, a.int("storage_order", 0))? != 0 {
        return Err(im.node_error(node, "storage_order 1 is not supported"));
    }
    let pad = im.pads(node, [x.shape[1], x.shape[2]], kernel, stride, [1, 1])?;
    let kind = if node.op_type() == "MaxPool" {
        if node.output.len() > 1 && !node.output[1].is_empty() {
            return Err(im.node_error(node, "the Indices output is not supported"));
        }
        PoolKind::Max
    } else {
        PoolKind::Avg {
            count_pad: im.attr(node, a.int("count_include_pad", 0))? != 0,
        }
    };
    let layer = Layer::Pool(Pool {
        kind,
        kernel,
        stride,
        pad,
        ceil: im.attr(node, a.int("ceil_mode", 0))? != 0,
    });
    let v = im.push(node, layer, vec![x.id], 4)?;
    im.set_val(node, v)
}

/// `GlobalAveragePool` and `GlobalMaxPool`: `(c, h, w)` → `(c, 1, 1)`.
pub(super) fn global(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = im.val(node, 0)?;
    im.spatial_4d(node, x)?;
    let layer = if node.op_type() == "GlobalAveragePool" {
        Layer::GlobalAvgPool
    } else {
        Layer::Pool(Pool {
            kind: PoolKind::Max,
            kernel: [x.shape[1], x.shape[2]],
            stride: [x.shape[1], x.shape[2]],
            pad: [0; 4],
            ceil: false,
        })
    };
    let v = im.push(node, layer, vec![x.id], 4)?;
    im.set_val(node, v)
}

pub(super) fn reduce_mean(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let x = im.val(node, 0)?;
    im.spatial_4d(node, x)?;
    // axes: an attribute before opset 18, an input since
    let a = im.attrs(node);
    let axes = match im.attr(node, a.ints("axes"))? {
        Some(a) => a,
        None => im
            .konst(node, 1)?
            .map(|c| c.ints())
            .transpose()
            .map_err(|m| im.node_error(node, m))?
            .unwrap_or_default(),
    };
    let mut axes: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + 4 } else { a })
        .collect();
    axes.sort();
    if axes != [2, 3] {
        return Err(im.node_error(node, format!("ReduceMean over axes {axes:?} (only the spatial axes 2 and 3: global average pooling)")));
    }
    let rank = if im.attr(node, a.int("keepdims", 1))? != 0 {
        4
    } else {
        2
    };
    let v = im.push(node, Layer::GlobalAvgPool, vec![x.id], rank)?;
    im.set_val(node, v)
}
