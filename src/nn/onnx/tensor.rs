//! Tensors known when a model loads: initializers and `Constant` nodes, decoded from their
//! protobuf form (raw little-endian bytes, typed fields, or external data beside the model,
//! as PyTorch's dynamo exporter writes `model.onnx.data`), and what constant folding makes.
//! Floats become the network's weights; 64-bit integers are shapes and axes.

use super::proto::TensorProto;
use std::path::Path;

/// A constant tensor: its dimensions and values.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Const {
    F32 { dims: Vec<usize>, data: Vec<f32> },
    I64 { dims: Vec<usize>, data: Vec<i64> },
}

impl Const {
    pub(super) fn dims(&self) -> &[usize] {
        match self {
            Const::F32 { dims, .. } | Const::I64 { dims, .. } => dims,
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Const::F32 { data, .. } => data.len(),
            Const::I64 { data, .. } => data.len(),
        }
    }

    /// The values as integers (an f32 constant must hold whole numbers).
    pub(super) fn ints(&self) -> Result<Vec<i64>, String> {
        match self {
            Const::I64 { data, .. } => Ok(data.clone()),
            Const::F32 { data, .. } => data
                .iter()
                .map(|&v| {
                    if v.fract() == 0.0 && v.abs() < 9.0e15 {
                        Ok(v as i64)
                    } else {
                        Err(format!("{v} is not a whole number"))
                    }
                })
                .collect(),
        }
    }

    /// The values as floats.
    pub(super) fn floats(&self) -> Vec<f32> {
        match self {
            Const::F32 { data, .. } => data.clone(),
            Const::I64 { data, .. } => data.iter().map(|&v| v as f32).collect(),
        }
    }
}

/// The name of an ONNX data type, for messages.
pub(super) fn type_name(t: i32) -> &'static str {
    match t {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        _ => "another type",
    }
}

/// External data files already read, by path.
pub(super) type Files = std::collections::HashMap<std::path::PathBuf, Vec<u8>>;

/// The bytes of `t`'s external data: `location` relative to the model's directory `dir`
/// (never outside it), from `offset` for `length` bytes.
fn external(t: &TensorProto, dir: &Path, files: &mut Files) -> Result<Vec<u8>, String> {
    let entry = |key: &str| {
        t.external_data
            .iter()
            .find(|e| e.key() == key)
            .map(|e| e.value().to_string())
    };
    let location = entry("location").ok_or("external data without a location")?;
    let path = crate::io::read::inside(dir, Path::new(&location), "external data location")
        .map_err(|e| e.to_string())?;
    let number = |key: &str| -> Result<Option<u64>, String> {
        entry(key)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|e| format!("external data {key} {v:?}: {e}"))
            })
            .transpose()
    };
    if !files.contains_key(&path) {
        let bytes = crate::io::read::read(&path, crate::io::read::MODEL)
            .map_err(|e| format!("external data {e}"))?;
        files.insert(path.clone(), bytes);
    }
    let bytes = &files[&path];
    let offset = number("offset")?.unwrap_or(0) as usize;
    let length = number("length")?.map(|l| l as usize);
    let end = match length {
        Some(l) => offset.checked_add(l),
        None => Some(bytes.len()),
    };
    match end {
        Some(end) if offset <= end && end <= bytes.len() => Ok(bytes[offset..end].to_vec()),
        _ => Err(format!(
            "external data {} holds {} bytes; the tensor needs bytes {offset}..{}",
            path.display(),
            bytes.len(),
            end.map_or("past the end".into(), |e| e.to_string())
        )),
    }
}

/// Decodes `t` (a model in directory `dir`): float32 and int64 tensors (int32 as int64),
/// anything else an error naming its type.
pub(super) fn decode(t: &TensorProto, dir: &Path, files: &mut Files) -> Result<Const, String> {
    let dims = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d}")))
        .collect::<Result<Vec<usize>, String>>()?;
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= 1 << 32)
        .ok_or_else(|| format!("dimensions {dims:?} are too large"))?;
    let raw = if t.data_location() == super::proto::tensor_proto::DataLocation::External {
        Some(external(t, dir, files)?)
    } else {
        t.raw_data.clone()
    };
    let count = |found: usize| {
        if found == n {
            Ok(())
        } else {
            Err(format!("{found} values for dimensions {dims:?} ({n})"))
        }
    };
    match t.data_type() {
        1 => {
            let data: Vec<f32> = match raw {
                Some(b) => {
                    count(b.len() / 4).and_then(|_| {
                        if b.len() % 4 == 0 {
                            Ok(())
                        } else {
                            Err(format!("{} bytes of raw float32 data", b.len()))
                        }
                    })?;
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                }
                None => t.float_data.clone(),
            };
            count(data.len())?;
            Ok(Const::F32 { dims, data })
        }
        6 | 7 => {
            let width = if t.data_type() == 7 { 8 } else { 4 };
            let data: Vec<i64> = match raw {
                Some(b) => {
                    if b.len() != n * width {
                        return Err(format!(
                            "{} bytes of raw {} data for dimensions {dims:?}",
                            b.len(),
                            type_name(t.data_type())
                        ));
                    }
                    b.chunks_exact(width)
                        .map(|c| {
                            if width == 8 {
                                i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                            } else {
                                i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64
                            }
                        })
                        .collect()
                }
                None if width == 8 => t.int64_data.clone(),
                None => t.int32_data.iter().map(|&v| v as i64).collect(),
            };
            count(data.len())?;
            Ok(Const::I64 { dims, data })
        }
        other => Err(format!(
            "a {} tensor: fooling takes float32 models (export the model in float32; quantized and half-precision models are not supported)",
            type_name(other)
        )),
    }
}
