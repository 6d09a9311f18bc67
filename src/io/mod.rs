//! Files: atomic writes (temporary file, fsync, rename), bounded reads ([`read`]), TOML
//! save and load, sha256 of a file, PNG encoding. Every file the crate writes goes through
//! [`write_atomic`], so an interrupted command leaves each file either as it was or
//! complete, and only a regular file is ever replaced; every file it reads goes through
//! [`read`], so only a regular file of bounded size, in its place, is read. Owns no format of
//! its own: run directories, checkpoints and reports decide what they write.

pub mod csv;
pub mod read;

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Refuses `path` as an output when it exists and is not a regular file: a device, a FIFO, a
/// socket, a directory or a symlink is never replaced (renaming a temporary file over
/// `/dev/null` would turn it into a regular file for every process on the machine).
fn check_replaceable(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(std::io::Error::other(format!(
            "is {}, not a regular file: fooling writes only regular files",
            describe_kind(&m.file_type())
        ))),
        _ => Ok(()),
    }
}

/// What kind of file a non-regular file is, for messages.
fn describe_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// The directory a file at `path` goes in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates a new temporary file beside `path` (never following or reusing what is there).
fn create_temp(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    // a short prefix of the name keeps the temporary name within the file-name limit
    let prefix: String = name.chars().take(64).collect();
    let mut last = None;
    for attempt in 0..16u32 {
        let tmp = parent_dir(path).join(format!(".{prefix}.tmp{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("16 attempts"))
}

/// Writes `bytes` to `path` through a new temporary file in the same directory, fsynced, then
/// renamed over `path`. Refuses a `path` that exists and is not a regular file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    check_replaceable(path).map_err(|e| Error::io(path, e))?;
    let (tmp, mut f) = create_temp(path).map_err(|e| Error::io(path, e))?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        check_replaceable(path)?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(parent_dir(path)) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Checks that files can be created in `dir`, by creating and removing one: a read-only
/// directory or a place like `/proc/self/` fails here, before any work, not after it.
pub fn check_writable_dir(dir: &Path) -> std::io::Result<()> {
    let (tmp, f) = create_temp(&dir.join(".fooling-probe"))?;
    drop(f);
    std::fs::remove_file(&tmp)
}

/// Checks, before any work, that `path` can be written as `option`'s output: its directory
/// exists and takes new files, it is not `input` (a file the command reads), and it does not
/// exist unless `force` allows replacing it, which only a regular file can be.
pub fn check_output(
    key: &'static str,
    path: &Path,
    input: Option<&Path>,
    force: bool,
) -> Result<()> {
    let bad = |message: String| Error::setting_value(key, path.display(), message);
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(bad(format!("no directory {}", dir.display())));
    }
    if let Some(input) = input {
        let same = match (path.canonicalize(), input.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(bad("is the input file; write the output elsewhere".into()));
        }
    }
    check_replaceable(path).map_err(|e| bad(e.to_string()))?;
    if std::fs::symlink_metadata(path).is_ok() && !force {
        return Err(bad(format!(
            "exists; pass {} to replace it",
            crate::command_line::flag("force")
        )));
    }
    check_writable_dir(dir).map_err(|e| bad(format!("cannot be written in {}: {e}", dir.display())))
}

/// Checks that `dir` can take a new run (`option`'s output): it does not exist, or it is an
/// empty directory (a `.lock` left by an earlier command aside). A directory holding anything
/// else is refused, naming one of its entries, so a new run never mixes its files with
/// another's.
pub fn check_new_dir(key: &'static str, dir: &Path) -> Result<()> {
    let bad = |message: String| Error::setting_value(key, dir.display(), message);
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(bad("is a file, not a directory".into()));
    }
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".lock")
        .collect();
    entries.sort();
    match entries.first() {
        None => Ok(()),
        Some(name) => Err(bad(format!(
            "holds other files ({name}{}); a new run needs a new or empty directory",
            if entries.len() > 1 {
                format!(" and {} more", entries.len() - 1)
            } else {
                String::new()
            }
        ))),
    }
}

/// An exclusive lock on a run directory, held while a command writes it: released when
/// dropped, or by the system when the process ends however it ends (so a killed run leaves
/// no stale lock).
#[derive(Debug)]
pub struct DirLock(#[allow(dead_code)] std::fs::File);

/// Creates `dir` if needed and locks it (`dir/.lock`), or says that another command holds it.
pub fn lock_dir(dir: &Path) -> Result<DirLock> {
    if let Ok(m) = std::fs::metadata(dir) {
        if !m.is_dir() {
            return Err(Error::io(
                dir,
                std::io::Error::other(format!(
                    "is {}, not a directory",
                    describe_kind(&m.file_type()).replace("a special file", "a file")
                )),
            ));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, std::io::Error::other(format!("cannot be made: {e}"))))?;
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::invalid(
            dir.display().to_string(),
            "another fooling command is writing this directory; wait for it to end or choose another",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

/// `path` as an absolute path that names the same file from any working directory (its
/// canonical form when it exists): what a run records, so `--resume` works from anywhere.
pub fn absolute(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Locks the existing directory `dir` as [`lock_dir`] does, without creating it: for a
/// command that reads a run and must not read it while another writes it.
pub fn lock_existing(dir: &Path) -> Result<DirLock> {
    if !dir.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such run directory"),
        ));
    }
    lock_dir(dir)
}

/// Writes `value` as TOML to `path`, atomically.
pub fn save_toml<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = toml::to_string_pretty(value).map_err(|e| Error::Data {
        path: path.into(),
        message: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes())
}

/// Reads the TOML file `path` as `what` (named in the error when it is not): a regular file
/// of its own directory (see [`read::read_own`]).
pub fn load_toml<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = read::read_own_to_string(path, read::TEXT)?;
    toml::from_str(&text).map_err(|e| Error::Data {
        path: path.into(),
        message: format!("not {what}: {e}"),
    })
}

/// The sha256 of the file at `path` (a model, weights or data: at most [`read::MODEL`]
/// bytes), as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    read::sha256(path, read::MODEL)
}

/// Writes `img` as a PNG to `path`, atomically.
pub fn write_png(path: &Path, img: image::DynamicImage) -> Result<()> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| Error::Image {
        path: path.into(),
        message: format!("cannot encode: {e}"),
    })?;
    write_atomic(path, &bytes)
}
