//! What a person looks at: PNGs of evolved images and labelled galleries ([`png`]), and
//! `fooling report`'s self-contained HTML page of runs beside the paper's results: the
//! figures computed in [`summary`], drawn by `svg` and laid out by [`html`].

pub mod html;
pub mod png;
pub mod runs;
pub mod summary;
mod svg;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// What [`write`] wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub path: PathBuf,
    pub runs: usize,
    pub bytes: usize,
}

/// Writes the report of the runs in `dirs` to `out` [default: `DIR/report.html` for one
/// directory].
pub fn write(dirs: &[PathBuf], out: Option<&Path>) -> Result<Written> {
    let path = match (out, dirs) {
        (Some(f), _) => f.to_path_buf(),
        (None, [one]) => one.join("report.html"),
        (None, _) => {
            return Err(Error::Option {
                option: "--out FILE".into(),
                message: "needed for a report of several directories".into(),
            })
        }
    };
    let runs = runs::collect(dirs)?;
    let text = html::render(&summary::Summary::of(&runs)?);
    crate::io::write_atomic(&path, text.as_bytes())?;
    Ok(Written {
        path,
        runs: runs.len(),
        bytes: text.len(),
    })
}
