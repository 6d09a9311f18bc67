//! The preprocessing a user's network expects, which travels with its model: from the
//! command line (`--mean`, `--std`, `--channels`, `--labels`, `--input-size`) or from a
//! sidecar file `FILE.onnx.toml` beside the model (the command line wins), each value
//! checked as the same value would be wherever it came from. Mean and standard deviation
//! are in torchvision's convention: `x = (pixel / 255 − mean) / std`.

use super::arch::{Arch, ChannelOrder, Pixels};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Preprocessing settings, any of which may be left to the defaults (mean 0, std 1, grey
/// for one channel and RGB for three, labels by the class count): declared here once for the
/// command line (each doc line is its `--help`) and for the sidecar file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Preprocess {
    /// ONNX models: the mean subtracted, torchvision's convention x = (pixel/255 − mean) / std;
    /// one value or one per channel [default: 0].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "M[,M,M]",
        allow_hyphen_values = true
    )]
    pub mean: Option<Vec<f32>>,
    /// ONNX models: the standard deviation divided by [default: 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_delimiter = ',', value_name = "S[,S,S]")]
    pub std: Option<Vec<f32>>,
    /// ONNX models: the input's channels [default: grey for one channel, rgb for three].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_enum)]
    pub channels: Option<ChannelOrder>,
    /// ONNX models: a file of class labels, one per line [default: the digits for 10 classes,
    /// ImageNet's for 1000, else the class index].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// ONNX models whose input leaves its height and width open: the size to run them at.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_name = "H,W", value_parser = parse_size)]
    pub input_size: Option<[usize; 2]>,
}

/// `H,W`: two whole numbers.
fn parse_size(s: &str) -> std::result::Result<[usize; 2], String> {
    let sides: Vec<&str> = s.split(',').map(str::trim).collect();
    let [h, w] = sides[..] else {
        return Err(format!("expected H,W, found {} values", sides.len()));
    };
    let side = |v: &str| {
        v.parse::<usize>()
            .map_err(|_| format!("{v:?} is not a whole number"))
    };
    Ok([side(h)?, side(w)?])
}

/// Where a setting came from, to name it in errors: a flag, or a file's key.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    CommandLine,
    File(&'a Path),
}

impl Source<'_> {
    /// An error in the setting `key` as it came: a setting the command line names as its
    /// flag, or the file's key.
    pub fn error(&self, key: &'static str, message: impl Into<String>) -> Error {
        match self {
            Source::CommandLine => Error::setting(key, message),
            Source::File(f) => Error::setting(key, message).in_file(f),
        }
    }
}

impl Preprocess {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Preprocess::default()
    }

    /// The keys of the settings that are set, in the order the struct declares them.
    pub fn keys(&self) -> Vec<&'static str> {
        [
            ("mean", self.mean.is_some()),
            ("std", self.std.is_some()),
            ("channels", self.channels.is_some()),
            ("labels", self.labels.is_some()),
            ("input_size", self.input_size.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }

    /// These settings, with `other`'s where these leave one open.
    pub fn or(self, other: Preprocess) -> Preprocess {
        Preprocess {
            mean: self.mean.or(other.mean),
            std: self.std.or(other.std),
            channels: self.channels.or(other.channels),
            labels: self.labels.or(other.labels),
            input_size: self.input_size.or(other.input_size),
        }
    }

    /// The sidecar of `model` (`MODEL.toml`, e.g. `resnet.onnx.toml`), if there is one; a
    /// labels path in it is relative to the sidecar's directory and must lie inside it.
    pub fn sidecar(model: &Path) -> Result<Option<(PathBuf, Preprocess)>> {
        let mut name = model.as_os_str().to_owned();
        name.push(".toml");
        let path = PathBuf::from(name);
        if !path.exists() {
            return Ok(None);
        }
        let mut p: Preprocess = crate::io::load_toml(
            &path,
            "a model's preprocessing (mean, std, channels, labels, input_size)",
        )?;
        if let Some(l) = &p.labels {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let what = format!("{}: key `labels`", path.display());
            p.labels = Some(crate::io::read::inside(dir, l, &what)?);
        }
        Ok(Some((path, p)))
    }

    /// Checks these settings for a model whose input has `channels` channels.
    pub fn check(&self, channels: usize, source: Source<'_>) -> Result<()> {
        let bad = |key: &'static str, message: String| source.error(key, message);
        for (key, v) in [("mean", &self.mean), ("std", &self.std)] {
            if let Some(v) = v {
                if !(v.len() == 1 || v.len() == channels) {
                    return Err(bad(
                        key,
                        format!("{} values for a model with {channels} input channels (give one, or one per channel)", v.len()),
                    ));
                }
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(bad(key, "values must be finite".into()));
                }
                if key == "std" && v.iter().any(|&x| x <= 0.0) {
                    return Err(bad(key, "values must be above 0".into()));
                }
            }
        }
        match (self.channels, channels) {
            (Some(ChannelOrder::Grey), 3) | (Some(ChannelOrder::Rgb | ChannelOrder::Bgr), 1) => {
                return Err(bad(
                    "channels",
                    format!(
                        "{:?} does not fit a model with {channels} input channel{}",
                        self.channels.unwrap(),
                        if channels == 1 { "" } else { "s" }
                    ),
                ))
            }
            _ => {}
        }
        if let Some([h, w]) = self.input_size {
            if h == 0 || w == 0 || h > 4096 || w > 4096 {
                return Err(bad("input_size", format!("{h},{w}: each side 1 to 4096")));
            }
        }
        Ok(())
    }

    /// These settings with every default filled in, for a model of `channels` input
    /// channels (what a run records).
    pub fn resolved(&self, channels: usize) -> Preprocess {
        let spread = |v: &Option<Vec<f32>>, d: f32| match v {
            Some(v) if v.len() == 1 => vec![v[0]; channels],
            Some(v) => v.clone(),
            None => vec![d; channels],
        };
        Preprocess {
            mean: Some(spread(&self.mean, 0.0)),
            std: Some(spread(&self.std, 1.0)),
            channels: Some(self.channels.unwrap_or(if channels == 1 {
                ChannelOrder::Grey
            } else {
                ChannelOrder::Rgb
            })),
            labels: self.labels.clone(),
            input_size: self.input_size,
        }
    }

    /// Applies resolved settings to `arch`: its pixels' order, mean and std (in pixel units),
    /// and its labels (from the labels file, whose line count must be the class count;
    /// else the digits for 10 classes, ImageNet's for 1000, the class index otherwise).
    pub fn apply(&self, arch: &mut Arch, source: Source<'_>) -> Result<()> {
        let r = self.resolved(arch.input[0]);
        let units = |v: Vec<f32>| v.iter().map(|x| x * 255.0).collect();
        arch.pixels = Pixels {
            order: r.channels.unwrap_or(ChannelOrder::Grey),
            mean: units(r.mean.unwrap_or_default()),
            std: units(r.std.unwrap_or_default()),
        };
        let classes = arch.labels.len();
        arch.labels = match &r.labels {
            Some(path) => {
                let text = crate::io::read::read_to_string(path, crate::io::read::TEXT)
                    .map_err(|e| source.error("labels", e.to_string()))?;
                let labels: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
                if labels.len() != classes {
                    return Err(source.error(
                        "labels",
                        format!(
                            "{} holds {} labels for a model of {classes} classes",
                            path.display(),
                            labels.len()
                        ),
                    ));
                }
                labels
            }
            None if classes == 1000 => super::imagenet_labels(),
            None => (0..classes).map(|k| k.to_string()).collect(),
        };
        Ok(())
    }

    /// One line saying what a model is given: `mean [0.485, …] std […] rgb, labels FILE`.
    pub fn describe(&self) -> String {
        let list = |v: &Option<Vec<f32>>| {
            v.as_ref()
                .map(|v| {
                    v.iter()
                        .map(|x| format!("{x}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        };
        format!(
            "x = (pixel/255 - mean) / std, mean {} std {}, channels {}, labels {}",
            list(&self.mean),
            list(&self.std),
            match self.channels {
                Some(ChannelOrder::Grey) => "grey",
                Some(ChannelOrder::Rgb) => "rgb",
                Some(ChannelOrder::Bgr) => "bgr",
                None => "default",
            },
            self.labels
                .as_ref()
                .map_or("by class count".into(), |l| l.display().to_string())
        )
    }
}
