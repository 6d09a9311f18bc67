//! Caffe's `.caffemodel` files (a serialised `NetParameter` protobuf) read without Caffe:
//! a minimal protobuf wire-format reader that takes each layer's name and parameter blobs,
//! in Caffe's current layer format (`layer`, field 100), its old one (`layers`, field 2,
//! `V1LayerParameter`) and the oldest (a `V0LayerParameter` inside a V1 layer). Blob shapes
//! come from `shape` or from the old `num, channels, height, width`.

use super::arch::Arch;
use super::weights::{Tensor, Weights};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One blob: its shape as the file gives it and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Blob {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// One layer that carries blobs.
#[derive(Clone, Debug, PartialEq)]
pub struct CaffeLayer {
    pub name: String,
    pub blobs: Vec<Blob>,
}

/// A protobuf field: its number and its value.
enum Value<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
}

/// Reads the fields of one message.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn varint(buf: &[u8], pos: &mut usize) -> std::result::Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

impl<'a> Iterator for Fields<'a> {
    type Item = std::result::Result<(u64, Value<'a>), String>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let mut read = || -> std::result::Result<(u64, Value<'a>), String> {
            let key = varint(self.buf, &mut self.pos)?;
            let (field, wire) = (key >> 3, key & 7);
            let take = |pos: &mut usize, n: usize| -> std::result::Result<&'a [u8], String> {
                let end = pos.checked_add(n).filter(|&e| e <= self.buf.len());
                let end = end.ok_or_else(|| format!("field {field} runs past the end"))?;
                let s = &self.buf[*pos..end];
                *pos = end;
                Ok(s)
            };
            let value = match wire {
                0 => Value::Varint(varint(self.buf, &mut self.pos)?),
                1 => Value::Fixed64(take(&mut self.pos, 8)?.try_into().unwrap()),
                2 => {
                    let n = varint(self.buf, &mut self.pos)? as usize;
                    Value::Bytes(take(&mut self.pos, n)?)
                }
                5 => Value::Fixed32(take(&mut self.pos, 4)?.try_into().unwrap()),
                w => return Err(format!("field {field} has unsupported wire type {w}")),
            };
            Ok((field, value))
        };
        let item = read();
        if item.is_err() {
            self.pos = self.buf.len();
        }
        Some(item)
    }
}

fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf, pos: 0 }
}

/// Repeated numbers, packed (one length-delimited field) or not (one field each).
fn push_f32(out: &mut Vec<f32>, v: Value<'_>) -> std::result::Result<(), String> {
    match v {
        Value::Bytes(b) if b.len() % 4 == 0 => out.extend(
            b.chunks(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
        ),
        Value::Fixed32(b) => out.push(f32::from_le_bytes(b)),
        _ => return Err("a float field of the wrong wire type".into()),
    }
    Ok(())
}

fn push_f64(out: &mut Vec<f32>, v: Value<'_>) -> std::result::Result<(), String> {
    match v {
        Value::Bytes(b) if b.len() % 8 == 0 => out.extend(
            b.chunks(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32),
        ),
        Value::Fixed64(b) => out.push(f64::from_le_bytes(b) as f32),
        _ => return Err("a double field of the wrong wire type".into()),
    }
    Ok(())
}

fn push_varints(out: &mut Vec<usize>, v: Value<'_>) -> std::result::Result<(), String> {
    match v {
        Value::Varint(n) => out.push(n as usize),
        Value::Bytes(b) => {
            let mut pos = 0;
            while pos < b.len() {
                out.push(varint(b, &mut pos)? as usize);
            }
        }
        _ => return Err("an integer field of the wrong wire type".into()),
    }
    Ok(())
}

fn blob(buf: &[u8]) -> std::result::Result<Blob, String> {
    let (mut shape, mut legacy, mut data) = (Vec::new(), [None; 4], Vec::new());
    for f in fields(buf) {
        match f? {
            (7, Value::Bytes(s)) => {
                for g in fields(s) {
                    if let (1, v) = g? {
                        push_varints(&mut shape, v)?;
                    }
                }
            }
            (5, v) => push_f32(&mut data, v)?,
            (8, v) => push_f64(&mut data, v)?,
            (k @ 1..=4, Value::Varint(n)) => legacy[k as usize - 1] = Some(n as usize),
            _ => {}
        }
    }
    if shape.is_empty() {
        shape = legacy.iter().map(|d| d.unwrap_or(1)).collect();
    }
    Ok(Blob { shape, data })
}

/// A layer message: `name_field` holds its name, `blob_field` its blobs.
fn layer(buf: &[u8], name_field: u64, blob_field: u64) -> std::result::Result<CaffeLayer, String> {
    let mut l = CaffeLayer {
        name: String::new(),
        blobs: Vec::new(),
    };
    for f in fields(buf) {
        match f? {
            (n, Value::Bytes(b)) if n == name_field => {
                l.name = String::from_utf8_lossy(b).into_owned()
            }
            (n, Value::Bytes(b)) if n == blob_field => l.blobs.push(blob(b)?),
            // a V1 layer wrapping a V0 one
            (1, Value::Bytes(b)) if name_field == 4 => {
                let v0 = layer(b, 1, 50)?;
                if l.name.is_empty() {
                    l.name = v0.name;
                }
                l.blobs.extend(v0.blobs);
            }
            _ => {}
        }
    }
    Ok(l)
}

/// Every layer of a serialised `NetParameter`, in file order, old formats included.
pub fn parse(bytes: &[u8]) -> std::result::Result<Vec<CaffeLayer>, String> {
    let mut layers = Vec::new();
    for f in fields(bytes) {
        match f? {
            (100, Value::Bytes(b)) => layers.push(layer(b, 1, 7)?),
            (2, Value::Bytes(b)) => layers.push(layer(b, 4, 6)?),
            _ => {}
        }
    }
    Ok(layers)
}

/// Reads `path` and maps the blobs of the layers named as `arch`'s parameter tensors
/// (`{layer}.weight` = blob 0, `{layer}.bias` = blob 1) into [`Weights`], reshaped to our
/// shapes; every element count is checked, and a missing layer or blob is an error naming it.
pub fn load(path: &Path, arch: &Arch) -> Result<Weights> {
    let bytes = crate::io::read::read(path, crate::io::read::MODEL)?;
    let bad = |message: String| Error::Weights {
        path: path.into(),
        message,
    };
    let layers = parse(&bytes).map_err(|m| bad(format!("not a readable caffemodel: {m}")))?;
    let by_name: BTreeMap<&str, &CaffeLayer> =
        layers.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut tensors = BTreeMap::new();
    for spec in arch.params()? {
        let (layer, kind) = spec.name.rsplit_once('.').expect("name.kind");
        let l = by_name.get(layer).ok_or_else(|| {
            bad(format!(
                "no layer '{layer}' (it has: {})",
                layers
                    .iter()
                    .filter(|l| !l.blobs.is_empty())
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let i = if kind == "weight" { 0 } else { 1 };
        let b = l
            .blobs
            .get(i)
            .ok_or_else(|| bad(format!("layer '{layer}' has no blob {i} ({kind})")))?;
        let want: usize = spec.shape.iter().product();
        if b.data.len() != want || b.shape.iter().product::<usize>() != want {
            return Err(bad(format!(
                "layer '{layer}' blob {i} ({kind}): expected {want} values {:?}, found {} values, shape {:?}",
                spec.shape,
                b.data.len(),
                b.shape
            )));
        }
        tensors.insert(
            spec.name.clone(),
            Tensor {
                shape: spec.shape,
                data: b.data.clone(),
            },
        );
    }
    Ok(Weights { tensors })
}

/// What [`convert`] wrote.
#[derive(Clone, Debug)]
pub struct Converted {
    pub tensors: usize,
    pub parameters: usize,
    pub arch: String,
    pub sha256: String,
}

/// Converts the Caffe weights `caffemodel` for the network `net` into our safetensors at
/// `out`, through the checked loader before anything is written (names, shapes, finite
/// values). `out` is not replaced unless `force`, and is never `caffemodel` itself.
pub fn convert(net: &str, caffemodel: &Path, out: &Path, force: bool) -> Result<Converted> {
    crate::io::check_output("out", out, Some(caffemodel), force)?;
    super::load::builtin_only(net, "convert")?;
    let arch = super::by_name(net)?;
    let weights = load(caffemodel, &arch)?;
    let bytes = weights.to_bytes();
    super::Weights::from_bytes(&bytes, caffemodel, &arch)?;
    crate::io::write_atomic(out, &bytes)?;
    Ok(Converted {
        tensors: weights.tensors.len(),
        parameters: weights.tensors.values().map(|t| t.data.len()).sum(),
        arch: arch.name,
        sha256: crate::io::sha256_file(out)?,
    })
}
