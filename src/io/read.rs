//! Reads: every file the crate reads is a regular file, read with a size bound, and a file
//! that another file names (an ONNX model's external data, a sidecar's labels, a run's
//! archive images) lies inside the directory it belongs to, symbolic links resolved. A device
//! (`/dev/zero`), a FIFO (which would block), a directory, a path out of its place or a file
//! past its bound is an error naming the path, before anything is read.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Text files: configurations, CSVs, label lists, sidecars (64 MiB).
pub const TEXT: u64 = 64 << 20;
/// Models and weights: safetensors, ONNX models and their external data, caffemodels, IDX
/// datasets (4 GiB).
pub const MODEL: u64 = 4 << 30;
/// Images a command decodes (64 MiB of PNG or JPEG; their pixels are bounded apart).
pub const IMAGE: u64 = 64 << 20;

fn refuse(path: &Path, message: String) -> Error {
    Error::io(path, std::io::Error::other(message))
}

/// Opens `path` for reading if it is a regular file of at most `limit` bytes, checked before
/// opening (a FIFO would block the open) and again on the open file; returns it with its size.
fn open_regular(path: &Path, limit: u64) -> Result<(std::fs::File, u64)> {
    let check = |m: &std::fs::Metadata| -> Result<u64> {
        if !m.is_file() {
            return Err(refuse(
                path,
                "is not a regular file (a device, a FIFO or a directory): fooling reads only regular files"
                    .into(),
            ));
        }
        if m.len() > limit {
            return Err(refuse(
                path,
                format!(
                    "is {} bytes, more than the {} this kind of file may hold",
                    m.len(),
                    bytes(limit)
                ),
            ));
        }
        Ok(m.len())
    };
    check(&std::fs::metadata(path).map_err(|e| Error::io(path, e))?)?;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = check(&f.metadata().map_err(|e| Error::io(path, e))?)?;
    Ok((f, len))
}

/// `limit` in words: `64 MiB`.
fn bytes(limit: u64) -> String {
    match limit {
        l if l >= 1 << 30 && l % (1 << 30) == 0 => format!("{} GiB", l >> 30),
        l if l >= 1 << 20 && l % (1 << 20) == 0 => format!("{} MiB", l >> 20),
        l => format!("{l} bytes"),
    }
}

/// The bytes of the regular file `path`, at most `limit` of them.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (f, len) = open_regular(path, limit)?;
    let mut out = Vec::with_capacity(len as usize);
    // a file that grows while read stops at its bound
    f.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path, e))?;
    if out.len() as u64 > limit {
        return Err(refuse(
            path,
            format!("grew past {} while read", bytes(limit)),
        ));
    }
    Ok(out)
}

/// The text of the regular file `path` (UTF-8), at most `limit` bytes.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|_| refuse(path, "is not UTF-8 text".into()))
}

/// Bytes `offset..offset + length` of the regular file `path` (at most `limit` bytes long).
pub fn read_range(path: &Path, offset: u64, length: u64, limit: u64) -> Result<Vec<u8>> {
    use std::io::Seek;
    let (mut f, len) = open_regular(path, limit)?;
    match offset.checked_add(length) {
        Some(end) if end <= len => {}
        _ => {
            return Err(refuse(
                path,
                format!("holds {len} bytes; bytes {offset}..+{length} were asked for"),
            ))
        }
    }
    f.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| Error::io(path, e))?;
    let mut out = vec![0u8; length as usize];
    f.read_exact(&mut out).map_err(|e| Error::io(path, e))?;
    Ok(out)
}

/// The sha256 of the regular file `path` (at most `limit` bytes), as lower-case hex, read in
/// pieces rather than whole.
pub fn sha256(path: &Path, limit: u64) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    hash_into(&mut h, path, limit)?;
    Ok(format!("{:x}", h.finalize()))
}

/// Feeds the regular file `path` (at most `limit` bytes) to `h`, in pieces.
pub fn hash_into(h: &mut sha2::Sha256, path: &Path, limit: u64) -> Result<()> {
    let (f, _) = open_regular(path, limit)?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, f.take(limit));
    std::io::copy(&mut r, h).map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// The file that `name` (as another file of `dir` gives it) names inside `dir`: a relative
/// path of plain components, which once symbolic links are resolved still lies inside `dir`.
/// `what` says what named it, for the error (empty: the crate itself).
pub fn inside(dir: &Path, name: &Path, what: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let plain = !name.as_os_str().is_empty()
        && name.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(refuse(
            &path,
            format!(
                "{what}{}names a path out of {}: only a relative path inside it is read",
                if what.is_empty() { "" } else { " " },
                dir.display()
            ),
        ));
    }
    let real_dir = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let real = path.canonicalize().map_err(|e| match what {
        "" => Error::io(&path, e),
        what => refuse(&path, format!("{what}: {e}")),
    })?;
    if !real.starts_with(&real_dir) {
        return Err(refuse(
            &path,
            format!(
                "{what}{}leads out of {} (to {}): only files inside it are read",
                if what.is_empty() { "" } else { " " },
                dir.display(),
                real.display()
            ),
        ));
    }
    Ok(path)
}

/// The bytes of `name`, a file of the directory `dir` (a run's `stats.csv`, `checkpoint/…`),
/// at most `limit` of them: a regular file that lies inside `dir`, symbolic links resolved.
pub fn read_in(dir: &Path, name: &str, limit: u64) -> Result<Vec<u8>> {
    read(&inside(dir, Path::new(name), "")?, limit)
}

/// [`read_in`] as UTF-8 text.
pub fn read_in_to_string(dir: &Path, name: &str, limit: u64) -> Result<String> {
    read_to_string(&inside(dir, Path::new(name), "")?, limit)
}

/// `path`, a file the crate names by its place in a directory (`RUN/stats.csv`,
/// `RUN/checkpoint/state.json`): read as [`read_in`] reads it from its own directory, so a
/// symbolic link there cannot lead the read elsewhere.
pub fn read_own(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (dir, name) = split(path)?;
    read_in(dir, name, limit)
}

/// [`read_own`] as UTF-8 text.
pub fn read_own_to_string(path: &Path, limit: u64) -> Result<String> {
    let (dir, name) = split(path)?;
    read_in_to_string(dir, name, limit)
}

fn split(path: &Path) -> Result<(&Path, &str)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| refuse(path, "is not a file name".into()))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((dir, name))
}
