//! The operators that see values anew or join them: `Flatten`, `Reshape`, `Squeeze`,
//! `Unsqueeze` (the same memory seen with another shape), `Transpose` (a layout, see
//! [`Layout`]), and `Concat` along the channels. With constants alone they fold.

use super::super::{Importer, Known, Layout, Pending, Val, BATCH};
use crate::error::Result;
use crate::nn::arch::{Layer, Reshape};
use crate::nn::onnx::proto::NodeProto;

impl Importer {
    /// The value `x` seen with per-image shape `shape` and `rank`: the same value when the
    /// shape is the same, else a reshape node (the same memory).
    fn view_as(&mut self, node: &NodeProto, x: Val, shape: [usize; 3], rank: usize) -> Result<()> {
        let v = if shape == x.shape {
            Val { rank, ..x }
        } else {
            self.push(
                node,
                Layer::Reshape(Reshape { to: shape }),
                vec![x.id],
                rank,
            )?
        };
        self.set_val(node, v)
    }

    /// For a view of input 0 to `(N, K)`: a softmax's probabilities already `(N, K)` pass
    /// through, and a permuted image flattens into a permuted vector (no node: its values stay
    /// where they are, in stored order). `Ok(true)` when handled so.
    fn flat_view(&mut self, node: &NodeProto) -> Result<bool> {
        let x = self.val_any(node, 0)?;
        match (x.layout, x.pending) {
            (Layout::Plain, Pending::Softmax) if x.rank == 2 => {
                self.set_val(node, x)?;
                Ok(true)
            }
            (Layout::Permuted(axes), Pending::None) => {
                let k = x.shape.iter().product();
                self.set_val(
                    node,
                    Val {
                        shape: [k, 1, 1],
                        rank: 2,
                        layout: Layout::Flat {
                            axes,
                            from: x.shape,
                        },
                        ..x
                    },
                )?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

pub(super) fn flatten(im: &mut Importer, node: &NodeProto) -> Result<()> {
    let axis = im.attr(node, im.attrs(node).int("axis", 1))?;
    if axis != 1 {
        return Err(im.node_error(
            node,
            format!("Flatten at axis {axis} (only axis 1: one vector per image)"),
        ));
    }
    if im.flat_view(node)? {
        return Ok(());
    }
    let x = im.val(node, 0)?;
    im.view_as(node, x, [x.shape.iter().product(), 1, 1], 2)
}

pub(super) fn reshape(im: &mut Importer, node: &NodeProto) -> Result<()> {
    if im.all_const(node) {
        return im.fold(node);
    }
    let target = im
        .need_konst(node, 1)?
        .ints()
        .map_err(|m| im.node_error(node, m))?;
    let allowzero = im.attr(node, im.attrs(node).int("allowzero", 0))? != 0;
    let raw = im.val_any(node, 0)?;
    let dims_in = raw.dims();
    let mut t: Vec<i64> = target
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 && !allowzero {
                dims_in.get(i).copied().unwrap_or(0)
            } else {
                d
            }
        })
        .collect();
    let bad = |im: &Importer, why: &str| {
        im.node_error(
            node,
            format!("reshape of {:?} to {target:?}: {why}", &dims_in[1..]),
        )
    };
    if !(t.len() == 2 || t.len() == 4) {
        return Err(bad(im, "only to (N, K) or (N, C, H, W)"));
    }
    let per_image: i64 = dims_in[1..].iter().product();
    let product = |d: &[i64]| d.iter().try_fold(1i64, |a, &v| a.checked_mul(v));
    if t[0] == BATCH || t[0] == 1 {
        t[0] = 1;
        let known: Vec<i64> = t[1..].iter().copied().filter(|&d| d != -1).collect();
        let known = product(&known).ok_or_else(|| bad(im, "dimensions too large"))?;
        let free = t[1..].iter().filter(|&&d| d == -1).count();
        if free > 1 || known <= 0 || t[1..].iter().any(|&d| d < -1 || d == 0) {
            return Err(bad(im, "dimensions that cannot be resolved"));
        }
        if free == 1 {
            if per_image % known != 0 {
                return Err(bad(im, "the sizes do not divide"));
            }
            for d in t[1..].iter_mut() {
                if *d == -1 {
                    *d = per_image / known;
                }
            }
        }
    } else if t[0] == -1 {
        if t[1..].iter().any(|&d| d <= 0) {
            return Err(bad(im, "dimensions that cannot be resolved"));
        }
    } else {
        return Err(bad(im, "the first dimension must stay the batch"));
    }
    if product(&t[1..]) != Some(per_image) {
        return Err(bad(im, "a different number of elements per image"));
    }
    if t.len() == 2 && im.flat_view(node)? {
        return Ok(());
    }
    let x = im.val(node, 0)?;
    let shape = if t.len() == 2 {
        [t[1] as usize, 1, 1]
    } else {
        [t[1] as usize, t[2] as usize, t[3] as usize]
    };
    im.view_as(node, x, shape, t.len())
}

/// `Squeeze` of `(N, C, 1, 1)` to `(N, C)`, `Unsqueeze` back.
pub(super) fn squeeze(im: &mut Importer, node: &NodeProto) -> Result<()> {
    if im.all_const(node) {
        return im.fold(node);
    }
    let axes = match im.attr(node, im.attrs(node).ints("axes"))? {
        Some(a) => a,
        None => im
            .konst(node, 1)?
            .map(|c| c.ints())
            .transpose()
            .map_err(|m| im.node_error(node, m))?
            .unwrap_or_default(),
    };
    let (from, to) = if node.op_type() == "Squeeze" {
        (4, 2)
    } else {
        (2, 4)
    };
    let x = im.val(node, 0)?;
    let mut axes: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + from.max(to) as i64 } else { a })
        .collect();
    axes.sort();
    if x.rank != from || axes != [2, 3] || x.shape[1..] != [1, 1] {
        return Err(im.node_error(
            node,
            format!(
                "{} of axes {axes:?} on a rank-{} value (only between (N, C) and (N, C, 1, 1))",
                node.op_type(),
                x.rank
            ),
        ));
    }
    im.view_as(node, x, x.shape, to)
}

/// `Transpose`: of an image, a new layout of the same values (TensorFlow's NHWC input turned
/// NCHW costs nothing; a turn to NHWC ahead of a Flatten goes into the fully-connected
/// layer's weights); of an `(N, K)` value, only the identity. Constants fold.
pub(super) fn transpose(im: &mut Importer, node: &NodeProto) -> Result<()> {
    if im.all_const(node) {
        return im.fold(node);
    }
    let x = im.val_any(node, 0)?;
    let perm = im.attr(node, im.attrs(node).ints("perm"))?;
    let perm: Vec<i64> = perm.unwrap_or_else(|| (0..x.rank as i64).rev().collect());
    let identity: Vec<i64> = (0..x.rank as i64).collect();
    if perm == identity {
        return im.set_val(node, x);
    }
    let axes = match x.layout {
        Layout::Plain => [0, 1, 2],
        Layout::Permuted(a) => a,
        Layout::Flat { .. } => [0; 3],
    };
    let valid = x.rank == 4 && perm.len() == 4 && perm[0] == 0 && {
        let mut s = perm.clone();
        s.sort();
        s == [0, 1, 2, 3]
    };
    if !valid || x.pending != Pending::None || matches!(x.layout, Layout::Flat { .. }) {
        return Err(im.node_error(
            node,
            format!("perm {perm:?} of a rank-{} value: only images' axes after the batch are transposed", x.rank),
        ));
    }
    let new: [usize; 3] = std::array::from_fn(|i| axes[perm[i + 1] as usize - 1]);
    let layout = if new == [0, 1, 2] {
        Layout::Plain
    } else {
        Layout::Permuted(new)
    };
    im.set(node, 0, Known::Val(Val { layout, ..x }));
    Ok(())
}

/// `Concat` of images along the channels (constants alone fold).
pub(super) fn concat(im: &mut Importer, node: &NodeProto) -> Result<()> {
    if im.all_const(node) {
        return im.fold(node);
    }
    let vals = (0..node.input.len())
        .map(|k| im.val(node, k))
        .collect::<Result<Vec<_>>>()?;
    let rank = vals[0].rank;
    let axis = im.attr(node, im.attrs(node).int("axis", 1))?;
    let axis = if axis < 0 { axis + rank as i64 } else { axis };
    if axis != 1 || vals.iter().any(|v| v.rank != rank) {
        return Err(im.node_error(
            node,
            format!("concatenation along axis {axis} (only the channels, axis 1)"),
        ));
    }
    let v = im.push(
        node,
        Layer::Concat,
        vals.iter().map(|v| v.id).collect(),
        rank,
    )?;
    im.set_val(node, v)
}
