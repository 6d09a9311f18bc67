//! Datasets: the IDX format ([`Idx`]) and labelled image sets ([`Dataset`]) as MNIST and
//! Fashion-MNIST ship them.

mod idx;

pub use idx::Idx;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Labelled 8-bit grey images: `images` is `(len, height, width)` row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    pub height: usize,
    pub width: usize,
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `i`'s pixels.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.height * self.width;
        &self.images[i * n..(i + 1) * n]
    }

    /// Reads an image file `(n, h, w)` and a label file `(n)` and checks they agree.
    pub fn from_idx(images: &Path, labels: &Path) -> Result<Dataset> {
        let im = Idx::read(images)?;
        let lb = Idx::read(labels)?;
        if im.dims.len() != 3 {
            return Err(Error::Data {
                path: images.into(),
                message: format!(
                    "expected 3 dimensions (images, height, width), found {:?}",
                    im.dims
                ),
            });
        }
        if lb.dims.len() != 1 {
            return Err(Error::Data {
                path: labels.into(),
                message: format!("expected 1 dimension (labels), found {:?}", lb.dims),
            });
        }
        if lb.dims[0] != im.dims[0] {
            return Err(Error::Data {
                path: labels.into(),
                message: format!(
                    "{} labels for the {} images of {}",
                    lb.dims[0],
                    im.dims[0],
                    images.display()
                ),
            });
        }
        Ok(Dataset {
            height: im.dims[1],
            width: im.dims[2],
            images: im.data,
            labels: lb.data,
        })
    }

    /// The classes present: one more than the largest label.
    /// Appends the grey images `files` (PNG, this set's size) with the label `label`.
    pub fn add_class(&mut self, files: &[std::path::PathBuf], label: u8) -> Result<()> {
        for f in files {
            self.images.extend(crate::imaging::load::load_grey(
                f,
                self.width,
                self.height,
                false,
            )?);
            self.labels.push(label);
        }
        Ok(())
    }

    pub fn num_classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |&m| m as usize + 1)
    }
}

/// The files of a split in `dir`: `{prefix}-images-idx3-ubyte[.gz]` and labels.
fn split_files(dir: &Path, prefix: &str) -> Option<(PathBuf, PathBuf)> {
    let find = |stem: String| {
        [dir.join(format!("{stem}.gz")), dir.join(&stem)]
            .into_iter()
            .find(|p| p.exists())
    };
    Some((
        find(format!("{prefix}-images-idx3-ubyte"))?,
        find(format!("{prefix}-labels-idx1-ubyte"))?,
    ))
}

/// A directory holding a training split (`train-*`) and a held-out split (`heldout-*`, as
/// `data/mnist-10k` ships, or `t10k-*`, as the official MNIST and Fashion-MNIST files are
/// named), raw or gzip.
pub fn load_dir(dir: &Path) -> Result<(Dataset, Dataset)> {
    let missing = |what: &str| {
        Error::Data {
        path: dir.into(),
        message: format!("no {what} split: expected {what}-images-idx3-ubyte[.gz] and {what}-labels-idx1-ubyte[.gz]"),
    }
    };
    let (ti, tl) = split_files(dir, "train").ok_or_else(|| missing("train"))?;
    let (hi, hl) = split_files(dir, "heldout")
        .or_else(|| split_files(dir, "t10k"))
        .ok_or_else(|| missing("heldout (or t10k)"))?;
    let (train, held) = (Dataset::from_idx(&ti, &tl)?, Dataset::from_idx(&hi, &hl)?);
    // a held-out label no training image has would only ever count as wrong
    if held.num_classes() > train.num_classes() {
        return Err(Error::Data {
            path: hl,
            message: format!(
                "holds label {}, while the training labels go up to {}",
                held.num_classes() - 1,
                train.num_classes().saturating_sub(1)
            ),
        });
    }
    Ok((train, held))
}
