//! Constant folding: the nodes whose inputs are known when the model loads, evaluated then
//! (the Shape / Gather / Concat / Unsqueeze / Cast / Slice chains exporters write to compute
//! a Reshape's target, shape arithmetic, and Transposes of constants). A computed value's
//! shape is known (its batch symbolic), so `Shape` of it folds too. One function per
//! operator, registered by name as the importer's handlers are.

use super::import::Attrs;
use super::proto::NodeProto;
use super::tensor::Const;

/// What a folded node's input is.
pub(super) enum Input {
    Const(Const),
    /// A value computed on the device: only its shape is known.
    Shape(Vec<i64>),
}

/// A node being folded: its inputs (`input(k)`: input `k`, `None` when absent).
struct Args<'a> {
    node: &'a NodeProto,
    input: &'a dyn Fn(usize) -> Option<Input>,
}

impl Args<'_> {
    /// Input `k` as a constant.
    fn get(&self, k: usize) -> Result<Const, String> {
        match (self.input)(k) {
            Some(Input::Const(c)) => Ok(c),
            Some(Input::Shape(_)) => Err(format!(
                "input {k} is computed on the device; only shapes fold when the model loads"
            )),
            None => Err(format!("input {k} is missing")),
        }
    }

    /// Input `k` as a constant, `None` when absent or empty.
    fn opt(&self, k: usize) -> Result<Option<Const>, String> {
        if self.node.input.get(k).is_none_or(|n| n.is_empty()) {
            return Ok(None);
        }
        self.get(k).map(Some)
    }

    fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        Attrs(self.node).int(name, default)
    }
}

type Fold = fn(&Args<'_>) -> Result<Const, String>;

/// Every operator that folds, with its function.
const FOLDS: &[(&str, Fold)] = &[
    ("Shape", shape),
    ("Gather", gather),
    ("Cast", cast),
    ("ConstantOfShape", constant_of_shape),
    ("Slice", slice),
    ("Concat", concat),
    ("Squeeze", view),
    ("Unsqueeze", view),
    ("Reshape", view),
    ("Add", arith),
    ("Sub", arith),
    ("Mul", arith),
    ("Div", arith),
    ("Transpose", transpose),
];

/// Evaluates `node` from its inputs (`input(k)`: input `k`, `None` when absent).
pub(super) fn fold(
    node: &NodeProto,
    input: impl Fn(usize) -> Option<Input>,
) -> Result<Const, String> {
    let f = FOLDS
        .iter()
        .find(|(op, _)| *op == node.op_type())
        .map(|&(_, f)| f)
        .ok_or_else(|| format!("{} cannot be folded", node.op_type()))?;
    f(&Args {
        node,
        input: &input,
    })
}

/// `Transpose` of a constant of up to four dimensions.
fn transpose(a: &Args<'_>) -> Result<Const, String> {
    let c = a.get(0)?;
    let dims = c.dims().to_vec();
    let r = dims.len();
    let perm: Vec<usize> = match Attrs(a.node).ints("perm")? {
        Some(p) => p.iter().map(|&v| v as usize).collect(),
        None => (0..r).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort();
    if r > 4 || sorted != (0..r).collect::<Vec<_>>() {
        return Err(format!(
            "perm {perm:?} of a constant of dimensions {dims:?}"
        ));
    }
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let strides: Vec<usize> = (0..r).map(|i| dims[i + 1..].iter().product()).collect();
    let n = c.len();
    let src = |o: usize| {
        let mut rem = o;
        let mut at = 0;
        for (i, &p) in perm.iter().enumerate() {
            let inner: usize = out_dims[i + 1..].iter().product();
            at += (rem / inner) * strides[p];
            rem %= inner;
        }
        at
    };
    let order: Vec<usize> = (0..n).map(src).collect();
    Ok(match c {
        Const::F32 { data, .. } => Const::F32 {
            dims: out_dims,
            data: order.iter().map(|&i| data[i]).collect(),
        },
        Const::I64 { data, .. } => Const::I64 {
            dims: out_dims,
            data: order.iter().map(|&i| data[i]).collect(),
        },
    })
}

/// `Shape` of a constant or of a computed value (whose shape is known, the batch symbolic).
fn shape(a: &Args<'_>) -> Result<Const, String> {
    let dims: Vec<i64> = match (a.input)(0) {
        Some(Input::Shape(d)) => d,
        Some(Input::Const(c)) => c.dims().iter().map(|&d| d as i64).collect(),
        None => return Err("input 0 is missing".into()),
    };
    let r = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let (s, e) = (clamp(a.int("start", 0)?), clamp(a.int("end", r)?));
    let data = dims[s..e.max(s)].to_vec();
    Ok(Const::I64 {
        dims: vec![data.len()],
        data,
    })
}

/// `Gather` from a one-dimensional constant.
fn gather(a: &Args<'_>) -> Result<Const, String> {
    let data = a.get(0)?;
    let idx = a.get(1)?.ints()?;
    if data.dims().len() > 1 || a.int("axis", 0)? != 0 {
        return Err("Gather of a constant beyond one dimension".into());
    }
    let n = data.len() as i64;
    let pick = |i: i64| -> Result<usize, String> {
        let j = if i < 0 { i + n } else { i };
        if (0..n).contains(&j) {
            Ok(j as usize)
        } else {
            Err(format!("index {i} of {n} values"))
        }
    };
    let dims = a.get(1)?.dims().to_vec();
    Ok(match data {
        Const::I64 { data, .. } => Const::I64 {
            dims,
            data: idx
                .iter()
                .map(|&i| pick(i).map(|j| data[j]))
                .collect::<Result<_, _>>()?,
        },
        Const::F32 { data, .. } => Const::F32 {
            dims,
            data: idx
                .iter()
                .map(|&i| pick(i).map(|j| data[j]))
                .collect::<Result<_, _>>()?,
        },
    })
}

/// `Cast` to float32 or int64.
fn cast(a: &Args<'_>) -> Result<Const, String> {
    let c = a.get(0)?;
    let dims = c.dims().to_vec();
    match a.int("to", 0)? {
        1 => Ok(Const::F32 {
            dims,
            data: c.floats(),
        }),
        6 | 7 => Ok(Const::I64 {
            dims,
            data: match c {
                Const::I64 { data, .. } => data,
                Const::F32 { data, .. } => data.iter().map(|&v| v as i64).collect(),
            },
        }),
        t => Err(format!("a cast to {}", super::tensor::type_name(t as i32))),
    }
}

/// `ConstantOfShape`: a tensor of the given dimensions filled with one value.
fn constant_of_shape(a: &Args<'_>) -> Result<Const, String> {
    let dims: Vec<usize> = a
        .get(0)?
        .ints()?
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d}")))
        .collect::<Result<_, _>>()?;
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= 1 << 24)
        .ok_or("too many values")?;
    let value = a
        .node
        .attribute
        .iter()
        .find(|a| a.name() == "value")
        .and_then(|a| a.t.as_ref());
    Ok(match value {
        Some(t) if t.data_type() == 7 => Const::I64 {
            dims,
            data: vec![
                t.int64_data.first().copied().unwrap_or_else(|| {
                    t.raw_data
                        .as_ref()
                        .filter(|b| b.len() == 8)
                        .map_or(0, |b| i64::from_le_bytes(b[..8].try_into().unwrap()))
                });
                n
            ],
        },
        Some(t) => Const::F32 {
            dims,
            data: vec![
                t.float_data.first().copied().unwrap_or_else(|| {
                    t.raw_data
                        .as_ref()
                        .filter(|b| b.len() == 4)
                        .map_or(0.0, |b| f32::from_le_bytes(b[..4].try_into().unwrap()))
                });
                n
            ],
        },
        None => Const::F32 {
            dims,
            data: vec![0.0; n],
        },
    })
}

/// `Slice` of a one-dimensional constant.
fn slice(a: &Args<'_>) -> Result<Const, String> {
    let data = a.get(0)?;
    if data.dims().len() != 1 {
        return Err("Slice of a constant beyond one dimension".into());
    }
    let n = data.len() as i64;
    let one = |c: Option<Const>, default: i64| -> Result<i64, String> {
        match c {
            None => Ok(default),
            Some(c) => match c.ints()?.as_slice() {
                [v] => Ok(*v),
                other => Err(format!("{} values where one is expected", other.len())),
            },
        }
    };
    if one(a.opt(3)?, 0)? != 0 {
        return Err("Slice of a one-dimensional constant along another axis".into());
    }
    let step = one(a.opt(4)?, 1)?;
    if step <= 0 {
        return Err(format!("Slice with step {step}"));
    }
    let clamp = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n);
    let (s, e) = (clamp(one(a.opt(1)?, 0)?), clamp(one(a.opt(2)?, n)?));
    let picks: Vec<usize> = (s..e).step_by(step as usize).map(|i| i as usize).collect();
    Ok(match data {
        Const::I64 { data, .. } => Const::I64 {
            dims: vec![picks.len()],
            data: picks.iter().map(|&i| data[i]).collect(),
        },
        Const::F32 { data, .. } => Const::F32 {
            dims: vec![picks.len()],
            data: picks.iter().map(|&i| data[i]).collect(),
        },
    })
}

/// `Concat` of one-dimensional constants.
fn concat(a: &Args<'_>) -> Result<Const, String> {
    let parts = (0..a.node.input.len())
        .map(|k| a.get(k))
        .collect::<Result<Vec<_>, _>>()?;
    if parts.iter().any(|p| p.dims().len() > 1) {
        return Err("Concat of constants beyond one dimension".into());
    }
    if parts.iter().all(|p| matches!(p, Const::I64 { .. })) {
        let data: Vec<i64> = parts
            .iter()
            .map(|p| p.ints())
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        Ok(Const::I64 {
            dims: vec![data.len()],
            data,
        })
    } else {
        let data: Vec<f32> = parts.iter().flat_map(|p| p.floats()).collect();
        Ok(Const::F32 {
            dims: vec![data.len()],
            data,
        })
    }
}

/// `Squeeze`, `Unsqueeze` and `Reshape` of a constant: its values with new dimensions.
fn view(a: &Args<'_>) -> Result<Const, String> {
    let c = a.get(0)?;
    let n = c.len();
    let dims: Vec<usize> = match a.node.op_type() {
        "Reshape" => {
            let t = a.get(1)?.ints()?;
            let known = t
                .iter()
                .filter(|&&d| d > 0)
                .try_fold(1i64, |a, &d| a.checked_mul(d))
                .ok_or("dimensions too large")?;
            t.iter()
                .enumerate()
                .map(|(i, &d)| match d {
                    -1 if known > 0 => Ok(n / known as usize),
                    0 => c
                        .dims()
                        .get(i)
                        .copied()
                        .ok_or("a 0 past the input's rank".to_string()),
                    d if d > 0 => Ok(d as usize),
                    d => Err(format!("dimension {d}")),
                })
                .collect::<Result<_, _>>()?
        }
        "Squeeze" => c.dims().iter().copied().filter(|&d| d != 1).collect(),
        _ => {
            let axes = match Attrs(a.node).ints("axes")? {
                Some(axes) => axes,
                None => a.opt(1)?.map_or(Ok(vec![]), |a| a.ints())?,
            };
            let mut dims = c.dims().to_vec();
            let r = (dims.len() + axes.len()) as i64;
            let mut axes: Vec<usize> = axes
                .iter()
                .map(|&a| (if a < 0 { a + r } else { a }) as usize)
                .collect();
            axes.sort();
            for a in axes {
                if a > dims.len() {
                    return Err(format!("axis {a} past the rank"));
                }
                dims.insert(a, 1);
            }
            dims
        }
    };
    if dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(n) {
        return Err(format!("{n} values do not make dimensions {dims:?}"));
    }
    Ok(match c {
        Const::I64 { data, .. } => Const::I64 { dims, data },
        Const::F32 { data, .. } => Const::F32 { dims, data },
    })
}

/// `Add`, `Sub`, `Mul`, `Div` of constants (one of them may be a single value).
fn arith(args: &Args<'_>) -> Result<Const, String> {
    let op = args.node.op_type();
    let (a, b) = (args.get(0)?, args.get(1)?);
    let n = a.len().max(b.len());
    if !(a.len() == b.len() || a.len() == 1 || b.len() == 1) {
        return Err("arithmetic on constants of different sizes".into());
    }
    let dims = if a.len() >= b.len() {
        a.dims().to_vec()
    } else {
        b.dims().to_vec()
    };
    if let (Const::I64 { data: x, .. }, Const::I64 { data: y, .. }) = (&a, &b) {
        let data = (0..n)
            .map(|i| {
                let (p, q) = (x[i % x.len()], y[i % y.len()]);
                match op {
                    "Add" => p.checked_add(q),
                    "Sub" => p.checked_sub(q),
                    "Mul" => p.checked_mul(q),
                    _ => p.checked_div(q),
                }
                .ok_or_else(|| format!("{op} of {p} and {q} overflows"))
            })
            .collect::<Result<_, _>>()?;
        return Ok(Const::I64 { dims, data });
    }
    let (x, y) = (a.floats(), b.floats());
    let data = (0..n)
        .map(|i| {
            let (p, q) = (x[i % x.len()], y[i % y.len()]);
            match op {
                "Add" => p + q,
                "Sub" => p - q,
                "Mul" => p * q,
                _ => p / q,
            }
        })
        .collect();
    Ok(Const::F32 { dims, data })
}
