//! Constant folding: the nodes whose inputs are known when the model loads, evaluated then
//! (the Shape / Gather / Concat / Unsqueeze / Cast / Slice chains exporters write to compute
//! a Reshape's target, and shape arithmetic). A computed value's shape is known (its batch
//! symbolic), so `Shape` of it folds too.

use super::proto::NodeProto;
use super::tensor::Const;

/// What a folded node's input is.
pub(super) enum Input {
    Const(Const),
    /// A value computed on the device: only its shape is known.
    Shape(Vec<i64>),
}

fn ints_attr(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    node.attribute
        .iter()
        .find(|a| a.name() == name)
        .map(|a| a.ints.clone())
}

fn int_attr(node: &NodeProto, name: &str, default: i64) -> i64 {
    node.attribute
        .iter()
        .find(|a| a.name() == name)
        .map_or(default, |a| a.i())
}

/// Evaluates `node` from its inputs (`input(k)`: input `k`, `None` when absent).
pub(super) fn fold(
    node: &NodeProto,
    input: impl Fn(usize) -> Option<Input>,
) -> Result<Const, String> {
    let get = |k: usize| -> Result<Const, String> {
        match input(k) {
            Some(Input::Const(c)) => Ok(c),
            Some(Input::Shape(_)) => Err(format!(
                "input {k} is computed on the device; only shapes fold when the model loads"
            )),
            None => Err(format!("input {k} is missing")),
        }
    };
    let opt = |k: usize| -> Result<Option<Const>, String> {
        if node.input.get(k).is_none_or(|n| n.is_empty()) {
            return Ok(None);
        }
        get(k).map(Some)
    };
    match node.op_type() {
        "Shape" => {
            let dims: Vec<i64> = match input(0) {
                Some(Input::Shape(d)) => d,
                Some(Input::Const(c)) => c.dims().iter().map(|&d| d as i64).collect(),
                None => return Err("input 0 is missing".into()),
            };
            let r = dims.len() as i64;
            let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
            let (s, e) = (
                clamp(int_attr(node, "start", 0)),
                clamp(int_attr(node, "end", r)),
            );
            let data = dims[s..e.max(s)].to_vec();
            Ok(Const::I64 {
                dims: vec![data.len()],
                data,
            })
        }
        "Gather" => {
            let data = get(0)?;
            let idx = get(1)?.ints()?;
            if data.dims().len() > 1 || int_attr(node, "axis", 0) != 0 {
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
            let dims = get(1)?.dims().to_vec();
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
        "Cast" => {
            let c = get(0)?;
            let dims = c.dims().to_vec();
            match int_attr(node, "to", 0) {
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
        "ConstantOfShape" => {
            let dims: Vec<usize> = get(0)?
                .ints()?
                .iter()
                .map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d}")))
                .collect::<Result<_, _>>()?;
            let n = dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&n| n <= 1 << 24)
                .ok_or("too many values")?;
            let value = node
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
        "Slice" => {
            let data = get(0)?;
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
            if one(opt(3)?, 0)? != 0 {
                return Err("Slice of a one-dimensional constant along another axis".into());
            }
            let step = one(opt(4)?, 1)?;
            if step <= 0 {
                return Err(format!("Slice with step {step}"));
            }
            let clamp = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n);
            let (s, e) = (clamp(one(opt(1)?, 0)?), clamp(one(opt(2)?, n)?));
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
        "Concat" => {
            let parts = (0..node.input.len())
                .map(get)
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
        "Squeeze" | "Unsqueeze" | "Reshape" => {
            let c = get(0)?;
            let n = c.len();
            let dims: Vec<usize> = match node.op_type() {
                "Reshape" => {
                    let t = get(1)?.ints()?;
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
                    let axes = ints_attr(node, "axes").map(Ok).unwrap_or_else(|| {
                        opt(1).and_then(|a| a.map_or(Ok(vec![]), |a| a.ints()))
                    })?;
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
        "Add" | "Sub" | "Mul" | "Div" => {
            let (a, b) = (get(0)?, get(1)?);
            let n = a.len().max(b.len());
            if !(a.len() == b.len() || a.len() == 1 || b.len() == 1) {
                return Err("arithmetic on constants of different sizes".into());
            }
            let dims = if a.len() >= b.len() {
                a.dims().to_vec()
            } else {
                b.dims().to_vec()
            };
            let op = node.op_type();
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
        other => Err(format!("{other} cannot be folded")),
    }
}
