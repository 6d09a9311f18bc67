//! What a person looks at: PNGs of evolved images and labelled galleries ([`png`]), and
//! `fooling report`'s self-contained HTML page of runs beside the paper's results: the
//! figures computed in [`summary`], drawn by `svg` and laid out by [`html`].

pub mod html;
pub mod png;
pub mod runs;
pub mod summary;
mod svg;

use crate::command_line::flag;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// What a user gives for a report: `fooling report`'s options, declared here once (the
/// command line flattens them; each doc line is its `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct ReportSettings {
    /// Runs, merged archives, retraining studies, or directories of runs.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The HTML file to write [default: DIR/report.html for one DIR]; a report this command
    /// wrote is replaced, any other file only with --force.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace --out even if it is not a report `fooling report` wrote.
    #[arg(long)]
    pub force: bool,
}

/// What [`write`] wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub path: PathBuf,
    pub runs: usize,
    pub bytes: usize,
}

/// Writes the report of the runs in `dirs` to `out` [default: `DIR/report.html` for one
/// directory]. An existing `out` is replaced only when it is a report this function wrote
/// (its generator line), or with `force`.
pub fn write(dirs: &[PathBuf], out: Option<&Path>, force: bool) -> Result<Written> {
    let path = match (out, dirs) {
        (Some(f), _) => f.to_path_buf(),
        (None, [one]) => one.join("report.html"),
        (None, _) => {
            return Err(Error::setting(
                "out",
                "needed for a report of several directories",
            ))
        }
    };
    // first: a FIFO or device is refused before anything opens it
    crate::io::check_output("out", &path, None, true)?;
    if path.exists() && !force && !is_report(&path) {
        return Err(Error::setting_value(
            "out",
            path.display(),
            format!(
                "exists and is not a page fooling report wrote; pass {} to replace it",
                flag("force")
            ),
        ));
    }
    let runs = runs::collect(dirs)?;
    let text = html::render(&summary::Summary::of(&runs)?);
    crate::io::write_atomic(&path, text.as_bytes())?;
    Ok(Written {
        path,
        runs: runs.len(),
        bytes: text.len(),
    })
}

/// Whether `path` is a page `fooling report` wrote (its head holds [`html::GENERATOR`]).
fn is_report(path: &Path) -> bool {
    use std::io::Read;
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false; // never opened: a FIFO would block
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains(html::GENERATOR)
}
