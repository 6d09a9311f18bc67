//! The operators that join values or see them anew: sums and products (of two computed
//! values, or with a constant), concatenation, global pooling by ReduceMean, the views
//! (Flatten, Reshape, Squeeze, Unsqueeze) and the final softmax.

use super::{attr_i, attr_ints, Importer, Known, Val, BATCH};
use crate::error::Result;
use crate::nn::arch::Layer;
use crate::nn::onnx::proto::NodeProto;
use crate::nn::onnx::tensor::Const;

impl Importer {
    /// `Add`, `Sub`, `Mul`, `Div` with at least one computed input.
    pub(super) fn binary(&mut self, node: &NodeProto) -> Result<()> {
        let op = node.op_type();
        let is_val = |k: usize| {
            matches!(
                self.known
                    .get(node.input.get(k).map(String::as_str).unwrap_or_default()),
                Some(Known::Val(_))
            )
        };
        if is_val(0) && is_val(1) {
            let (a, b) = (self.val(node, 0)?, self.val(node, 1)?);
            let layer = match op {
                "Add" if a.shape == b.shape => Layer::Add,
                "Mul" => Layer::Mul,
                _ => {
                    return Err(self.node_error(
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
            let v = self.push(node, layer, vec![a.id, b.id], a.rank.max(b.rank))?;
            self.set(node, 0, Known::Val(v));
            return Ok(());
        }
        // one side a constant: a per-channel (or single) scale or offset
        let (xk, ck) = if is_val(0) { (0, 1) } else { (1, 0) };
        let x = self.val(node, xk)?;
        let c = self.need_konst(node, ck)?;
        let channels = x.shape[0];
        let per_channel = self.channel_values(node, x, &c)?;
        let ones = vec![1.0f32; channels];
        let zeros = vec![0.0f32; channels];
        let (scale, shift) = match (op, xk) {
            ("Add", _) => {
                // a constant added after a layer with a bias: into its bias
                if self.sole_reader(node, xk) {
                    if let Some(name) = self.plain_affine_producer(x) {
                        let b = self
                            .tensors
                            .get_mut(&format!("{name}.bias"))
                            .expect("a bias");
                        for (v, &d) in b.data.iter_mut().zip(&per_channel) {
                            *v += d;
                        }
                        self.set(node, 0, Known::Val(x));
                        return Ok(());
                    }
                }
                (ones, per_channel)
            }
            ("Sub", 0) => (ones, per_channel.iter().map(|v| -v).collect()),
            ("Sub", _) => (vec![-1.0; channels], per_channel),
            ("Mul", _) => (per_channel, zeros),
            ("Div", 0) => (per_channel.iter().map(|v| 1.0 / v).collect(), zeros),
            _ => {
                return Err(self.node_error(
                    node,
                    "a constant divided by a computed value is not supported",
                ))
            }
        };
        self.affine(node, x, scale, shift)
    }

    /// A constant that broadcasts over `x` one value per channel (a scalar, or `(C)`,
    /// `(C, 1, 1)`, `(1, C, 1, 1)` for rank 4, `(K)`, `(1, K)` for rank 2): one value per
    /// channel.
    pub(super) fn channel_values(&self, node: &NodeProto, x: Val, c: &Const) -> Result<Vec<f32>> {
        let channels = x.shape[0];
        let v = c.floats();
        let dims: Vec<usize> = c.dims().iter().copied().skip_while(|&d| d == 1).collect();
        let fits = v.len() == 1
            || match x.rank {
                4 => dims == [channels, 1, 1],
                _ => dims == [channels],
            };
        if !fits {
            return Err(self.node_error(
                node,
                format!("a constant of dimensions {:?} against a value of shape {:?}: only one value, or one per channel, is supported", c.dims(), x.shape),
            ));
        }
        Ok(if v.len() == 1 {
            vec![v[0]; channels]
        } else {
            v
        })
    }

    pub(super) fn concat(&mut self, node: &NodeProto) -> Result<()> {
        let vals = (0..node.input.len())
            .map(|k| self.val(node, k))
            .collect::<Result<Vec<_>>>()?;
        let rank = vals[0].rank;
        let axis = attr_i(node, "axis", 1);
        let axis = if axis < 0 { axis + rank as i64 } else { axis };
        if axis != 1 || vals.iter().any(|v| v.rank != rank) {
            return Err(self.node_error(
                node,
                format!("concatenation along axis {axis} (only the channels, axis 1)"),
            ));
        }
        let v = self.push(
            node,
            Layer::Concat,
            vals.iter().map(|v| v.id).collect(),
            rank,
        )?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    pub(super) fn reduce_mean(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        self.spatial_4d(node, x)?;
        // axes: an attribute before opset 18, an input since
        let axes = match attr_ints(node, "axes") {
            Some(a) => a,
            None => self
                .konst(node, 1)?
                .map(|c| c.ints())
                .transpose()
                .map_err(|m| self.node_error(node, m))?
                .unwrap_or_default(),
        };
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + 4 } else { a })
            .collect();
        axes.sort();
        if axes != [2, 3] {
            return Err(self.node_error(node, format!("ReduceMean over axes {axes:?} (only the spatial axes 2 and 3: global average pooling)")));
        }
        let rank = if attr_i(node, "keepdims", 1) != 0 {
            4
        } else {
            2
        };
        let v = self.push(node, Layer::GlobalAvgPool, vec![x.id], rank)?;
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    /// The value `x` seen with per-image shape `shape` and `rank`: the same value when the
    /// shape is the same, else a reshape node (the same memory).
    pub(super) fn view_as(
        &mut self,
        node: &NodeProto,
        x: Val,
        shape: [usize; 3],
        rank: usize,
    ) -> Result<()> {
        let v = if shape == x.shape {
            Val { rank, ..x }
        } else {
            self.push(node, Layer::Reshape(shape), vec![x.id], rank)?
        };
        self.set(node, 0, Known::Val(v));
        Ok(())
    }

    pub(super) fn flatten(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let axis = attr_i(node, "axis", 1);
        if axis != 1 {
            return Err(self.node_error(
                node,
                format!("Flatten at axis {axis} (only axis 1: one vector per image)"),
            ));
        }
        self.view_as(node, x, [x.shape.iter().product(), 1, 1], 2)
    }

    pub(super) fn reshape(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let target = self
            .need_konst(node, 1)?
            .ints()
            .map_err(|m| self.node_error(node, m))?;
        let allowzero = attr_i(node, "allowzero", 0) != 0;
        let dims_in: Vec<i64> = match x.rank {
            2 => vec![BATCH, x.shape[0] as i64],
            _ => vec![
                BATCH,
                x.shape[0] as i64,
                x.shape[1] as i64,
                x.shape[2] as i64,
            ],
        };
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
        let bad = |why: &str| {
            self.node_error(
                node,
                format!("reshape of (N, {:?}) to {target:?}: {why}", x.shape),
            )
        };
        if !(t.len() == 2 || t.len() == 4) {
            return Err(bad("only to (N, K) or (N, C, H, W)"));
        }
        let per_image: i64 = x.shape.iter().product::<usize>() as i64;
        let product = |d: &[i64]| d.iter().try_fold(1i64, |a, &v| a.checked_mul(v));
        if t[0] == BATCH || t[0] == 1 {
            t[0] = 1;
            let known: Vec<i64> = t[1..].iter().copied().filter(|&d| d != -1).collect();
            let known = product(&known).ok_or_else(|| bad("dimensions too large"))?;
            let free = t[1..].iter().filter(|&&d| d == -1).count();
            if free > 1 || known <= 0 || t[1..].iter().any(|&d| d < -1 || d == 0) {
                return Err(bad("dimensions that cannot be resolved"));
            }
            if free == 1 {
                if per_image % known != 0 {
                    return Err(bad("the sizes do not divide"));
                }
                for d in t[1..].iter_mut() {
                    if *d == -1 {
                        *d = per_image / known;
                    }
                }
            }
        } else if t[0] == -1 {
            if t[1..].iter().any(|&d| d <= 0) {
                return Err(bad("dimensions that cannot be resolved"));
            }
        } else {
            return Err(bad("the first dimension must stay the batch"));
        }
        if product(&t[1..]) != Some(per_image) {
            return Err(bad("a different number of elements per image"));
        }
        let shape = if t.len() == 2 {
            [t[1] as usize, 1, 1]
        } else {
            [t[1] as usize, t[2] as usize, t[3] as usize]
        };
        self.view_as(node, x, shape, t.len())
    }

    pub(super) fn squeeze(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        let axes = match attr_ints(node, "axes") {
            Some(a) => a,
            None => self
                .konst(node, 1)?
                .map(|c| c.ints())
                .transpose()
                .map_err(|m| self.node_error(node, m))?
                .unwrap_or_default(),
        };
        let (from, to) = if node.op_type() == "Squeeze" {
            (4, 2)
        } else {
            (2, 4)
        };
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + from.max(to) as i64 } else { a })
            .collect();
        axes.sort();
        if x.rank != from || axes != [2, 3] || x.shape[1..] != [1, 1] {
            return Err(self.node_error(
                node,
                format!(
                    "{} of axes {axes:?} on a rank-{} value (only between (N, C) and (N, C, 1, 1))",
                    node.op_type(),
                    x.rank
                ),
            ));
        }
        self.view_as(node, x, x.shape, to)
    }

    pub(super) fn softmax(&mut self, node: &NodeProto) -> Result<()> {
        let x = self.val(node, 0)?;
        if node.output.first() != Some(&self.output) {
            return Err(self.node_error(
                node,
                "a softmax only as the model's last node (its output the model's)",
            ));
        }
        let axis = attr_i(node, "axis", -1);
        if x.rank != 2 || !(axis == -1 || axis == 1) {
            return Err(self.node_error(node, format!("a softmax over axis {axis} of a rank-{} value (only over the classes of an (N, K) output)", x.rank)));
        }
        // the confidence is the softmax probability either way: the logits are its input
        self.set(node, 0, Known::Val(x));
        Ok(())
    }
}
