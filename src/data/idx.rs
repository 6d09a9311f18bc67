//! The IDX format of the MNIST files: a big-endian header (two zero bytes, a type code, the
//! number of dimensions, then each dimension as u32), then the values. Only unsigned bytes
//! (type 0x08) are read and written, raw or gzip-compressed (`.gz`, or detected by magic).

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// An IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

fn bad(path: &Path, message: String) -> Error {
    Error::Data {
        path: path.into(),
        message,
    }
}

impl Idx {
    /// Reads an IDX file, gunzipping it if it starts with gzip's magic bytes.
    pub fn read(path: &Path) -> Result<Idx> {
        let limit = crate::io::read::MODEL;
        let raw = crate::io::read::read(path, limit)?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            // decompressed, bounded as a plain file is: a small gzip stream can expand a
            // thousandfold
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(path, format!("corrupt gzip stream: {e}")))?;
            if out.len() as u64 > limit {
                return Err(bad(path, format!("expands past {} GiB", limit >> 30)));
            }
            out
        } else {
            raw
        };
        Self::parse(&bytes, path)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Idx> {
        if bytes.len() < 4 {
            return Err(bad(
                path,
                format!(
                    "truncated: {} bytes, shorter than the 4-byte magic number",
                    bytes.len()
                ),
            ));
        }
        if bytes[0] != 0 || bytes[1] != 0 {
            return Err(bad(path, format!("not an IDX file: magic number {:02x}{:02x}{:02x}{:02x} does not start with two zero bytes", bytes[0], bytes[1], bytes[2], bytes[3])));
        }
        if bytes[2] != 0x08 {
            return Err(bad(
                path,
                format!(
                    "IDX type code 0x{:02x}: only unsigned bytes (0x08) are supported",
                    bytes[2]
                ),
            ));
        }
        let ndim = bytes[3] as usize;
        if ndim == 0 {
            return Err(bad(path, "IDX file with zero dimensions".into()));
        }
        let header = 4 + 4 * ndim;
        if bytes.len() < header {
            return Err(bad(
                path,
                format!(
                    "truncated: {} bytes, the header of {ndim} dimensions needs {header}",
                    bytes.len()
                ),
            ));
        }
        let dims: Vec<usize> = (0..ndim)
            .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
            .collect();
        let count = dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(path, format!("dimensions {dims:?} overflow")))?;
        let body = &bytes[header..];
        if body.len() < count {
            return Err(bad(
                path,
                format!(
                    "truncated: dimensions {dims:?} need {count} values, the file holds {}",
                    body.len()
                ),
            ));
        }
        if body.len() > count {
            return Err(bad(
                path,
                format!(
                    "{} bytes after the {count} values of dimensions {dims:?}",
                    body.len() - count
                ),
            ));
        }
        Ok(Idx {
            dims,
            data: body.to_vec(),
        })
    }

    /// The IDX encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![0, 0, 0x08, self.dims.len() as u8];
        for &d in &self.dims {
            out.extend_from_slice(&(d as u32).to_be_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// Writes the file atomically, gzip-compressed when `path` ends in `.gz`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let raw = self.to_bytes();
        let bytes = if path.extension().is_some_and(|e| e == "gz") {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&raw)
                .and_then(|_| enc.finish())
                .map_err(|e| Error::io(path, e))?
        } else {
            raw
        };
        crate::io::write_atomic(path, &bytes)
    }
}
