//! `config.toml` of an evolution run: every effective parameter, written when the run
//! starts and read back by `--resume`.

use crate::error::{Error, Result};
use crate::evo::{CppnConfig, DirectConfig, Encoding};
use crate::imaging::ColorModel;
use crate::io::sha256_file;
use std::path::{Path, PathBuf};

/// Everything that defines a run: written to `config.toml`, read back by `--resume`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RunFile", into = "RunFile")]
pub struct RunConfig {
    /// A built-in architecture, or an ONNX model's path.
    pub net: String,
    /// The weights file (the ONNX model itself for one).
    pub weights: PathBuf,
    /// sha256 of the weights file (an ONNX model's with its external data): `--resume`
    /// refuses other weights.
    pub weights_sha256: String,
    /// An ONNX model's preprocessing, every default filled in: a resume uses it as it is.
    pub preprocess: Option<crate::nn::preprocess::Preprocess>,
    /// The encoding and its search's settings.
    pub search: SearchConfig,
    pub generations: u32,
    pub checkpoint_every: u32,
    pub stats_every: u32,
    /// Colour genomes for ImageNet networks (absent for grey networks).
    pub color: Option<ColorConfig>,
    /// The command line that made the run, when it was recorded.
    pub command: Option<String>,
    pub fooling_version: String,
}

/// An encoding with its search's settings: a run has exactly one.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchConfig {
    Direct(DirectConfig),
    Cppn(CppnConfig),
}

impl SearchConfig {
    pub fn encoding(&self) -> Encoding {
        match self {
            SearchConfig::Direct(_) => Encoding::Direct,
            SearchConfig::Cppn(_) => Encoding::Cppn,
        }
    }

    pub fn seed(&self) -> u32 {
        match self {
            SearchConfig::Direct(d) => d.seed,
            SearchConfig::Cppn(c) => c.seed,
        }
    }

    /// Children per generation (the paper's B).
    pub fn batch(&self) -> usize {
        match self {
            SearchConfig::Direct(d) => d.batch,
            SearchConfig::Cppn(c) => c.batch,
        }
    }

    fn set_seed(&mut self, seed: u32) {
        match self {
            SearchConfig::Direct(d) => d.seed = seed,
            SearchConfig::Cppn(c) => c.seed = seed,
        }
    }
}

/// `config.toml` as it is written: `encoding` names the table (`[direct]` or `[cppn]`) that
/// holds its search's settings. [`RunConfig`] is read and written through it, so the file
/// keeps the form every run so far has.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFile {
    net: String,
    weights: PathBuf,
    weights_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preprocess: Option<crate::nn::preprocess::Preprocess>,
    encoding: Encoding,
    generations: u32,
    checkpoint_every: u32,
    stats_every: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    direct: Option<DirectConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cppn: Option<CppnConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<ColorConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    fooling_version: String,
}

impl TryFrom<RunFile> for RunConfig {
    type Error = String;

    fn try_from(f: RunFile) -> std::result::Result<RunConfig, String> {
        let search = match (f.encoding, f.direct, f.cppn) {
            (Encoding::Direct, Some(d), None) => SearchConfig::Direct(d),
            (Encoding::Cppn, None, Some(c)) => SearchConfig::Cppn(c),
            (e, d, c) => {
                let name = |e: Encoding| e.name();
                let tables: Vec<&str> = [(d.is_some(), "[direct]"), (c.is_some(), "[cppn]")]
                    .into_iter()
                    .filter_map(|(has, t)| has.then_some(t))
                    .collect();
                return Err(format!(
                    "encoding = \"{}\" needs its settings in [{}] and no other encoding's; the file has {}",
                    name(e),
                    name(e),
                    if tables.is_empty() { "none".into() } else { tables.join(" and ") }
                ));
            }
        };
        Ok(RunConfig {
            net: f.net,
            weights: f.weights,
            weights_sha256: f.weights_sha256,
            preprocess: f.preprocess,
            search,
            generations: f.generations,
            checkpoint_every: f.checkpoint_every,
            stats_every: f.stats_every,
            color: f.color,
            command: f.command,
            fooling_version: f.fooling_version,
        })
    }
}

impl From<RunConfig> for RunFile {
    fn from(c: RunConfig) -> RunFile {
        let encoding = c.search.encoding();
        let (direct, cppn) = match c.search {
            SearchConfig::Direct(d) => (Some(d), None),
            SearchConfig::Cppn(p) => (None, Some(p)),
        };
        RunFile {
            net: c.net,
            weights: c.weights,
            weights_sha256: c.weights_sha256,
            preprocess: c.preprocess,
            encoding,
            generations: c.generations,
            checkpoint_every: c.checkpoint_every,
            stats_every: c.stats_every,
            direct,
            cppn,
            color: c.color,
            command: c.command,
            fooling_version: c.fooling_version,
        }
    }
}

/// How colour genomes become an ImageNet network's input (docs/paper.md §3 and §5).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorConfig {
    pub model: crate::imaging::ColorModel,
    /// The genome's width (256 for CaffeNet), and its height unless `height` says otherwise.
    pub size: usize,
    /// The genome's height, for a network whose input is not square.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<usize>,
    /// Crops per evaluation: 10 (Caffe's oversample) or 1 (the centre).
    pub crops: usize,
    /// A mean image (PNG, cropped at the centre) instead of the per-channel mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_image: Option<PathBuf>,
    /// Its sha256: `--resume` refuses another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_image_sha256: Option<String>,
}

impl ColorConfig {
    /// The genomes' `(height, width)`.
    pub fn genome_size(&self) -> [usize; 2] {
        [self.height.unwrap_or(self.size), self.size]
    }
}

impl RunConfig {
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::rundir::config::write(dir, crate::rundir::Kind::Evolution, self)
    }

    pub fn load(dir: &Path) -> Result<RunConfig> {
        use crate::rundir::{config, Kind};
        let path = dir.join("config.toml");
        match config::read_kind(&path, "config.toml")? {
            (Kind::Evolution, text) => config::parse(&path, Kind::Evolution, &text),
            _ => Err(Error::Data {
                path,
                message: "is a gradient-ascent run's (fooling ascent), not an evolution's: ascent runs do not resume, start another with fooling ascent".into(),
            }),
        }
    }
}

/// The settings a user gives for a new run, before defaults that depend on the network are
/// filled in: `fooling evolve`'s options, declared here once (the command line flattens
/// them; each doc line is its `--help`, each default is here), and what a study's plan
/// builds.
#[derive(Clone, Debug, clap::Args)]
pub struct EvolveSettings {
    /// Network: a built-in architecture (lenet, lenet-fashion, mlp, caffenet, alexnet, caffenet/N) or an ONNX
    /// model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub preprocess: crate::nn::preprocess::Preprocess,
    #[arg(long, value_enum, default_value_t = Encoding::Direct)]
    pub encoding: Encoding,
    /// Generations after the initial batch [default: 200; with --resume: the run's own].
    #[arg(long)]
    pub generations: Option<u32>,
    /// Children per generation (the paper's B) [default: 200; 400 for CPPNs on an ImageNet network].
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// ImageNet networks: how three genes make a pixel's colour [default: hls-opencv].
    #[arg(long, value_enum)]
    pub color: Option<crate::imaging::ColorModel>,
    /// ImageNet networks: crops per evaluation, 10 (the corners, the centre and their mirrors;
    /// confidence = the mean softmax) or 1 (the centre, ten times faster) [default: 10].
    #[arg(long)]
    pub crops: Option<usize>,
    /// ImageNet networks: a mean image (PNG, e.g. ILSVRC-2012's 256×256 mean, cropped at the
    /// centre) to subtract instead of the per-channel mean.
    #[arg(long, value_name = "FILE")]
    pub mean_image: Option<PathBuf>,
    /// Evolve only the first N classes' cells [default: every class]: for a network retrained
    /// with an extra "fooling" class, whose own class is no fooling image.
    #[arg(long, value_name = "N")]
    pub cells: Option<usize>,
    /// Mutation rate schedule: the paper's (0.1 halved every 1,000 generations) or the code's (constant).
    #[arg(long, value_enum, default_value_t = crate::evo::Schedule::Paper)]
    pub schedule: crate::evo::Schedule,
    /// Initial per-gene mutation probability.
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
    pub rate: f32,
    /// Recombination before mutation: none (the paper) or sbx (the authors' code, without its bug).
    #[arg(long, value_enum, default_value_t = crate::evo::Crossover::None)]
    pub crossover: crate::evo::Crossover,
    /// Write a checkpoint every N generations (and always at the end or on Ctrl-C).
    #[arg(long, default_value_t = 100)]
    pub checkpoint_every: u32,
    /// Read the confidences back and write a stats.csv row every N generations.
    #[arg(long, default_value_t = 1)]
    pub stats_every: u32,
    /// The command line that asks for the run, recorded in its `config.toml`.
    #[arg(skip)]
    pub command: Option<String>,
}

impl EvolveSettings {
    /// The defaults of `fooling evolve` for `net` and `encoding`.
    pub fn new(net: &str, encoding: Encoding) -> EvolveSettings {
        EvolveSettings {
            net: net.into(),
            encoding,
            ..crate::command_line::defaults(&[])
        }
    }
}

impl ColorConfig {
    /// The colour settings of `s` for `arch`: `None` for a grey network, which refuses them.
    fn new(s: &EvolveSettings, arch: &crate::nn::Arch) -> Result<Option<ColorConfig>> {
        Ok(if arch.input[0] == 3 {
            let mean_image_sha256 = match &s.mean_image {
                Some(p) => {
                    Some(sha256_file(p).map_err(|e| Error::setting("mean_image", e.to_string()))?)
                }
                None => None,
            };
            Some(ColorConfig {
                model: s.color.unwrap_or(ColorModel::HlsOpencv),
                size: crate::evo::color_size(arch.input[2]),
                height: (arch.input[1] != arch.input[2])
                    .then(|| crate::evo::color_size(arch.input[1])),
                crops: s.crops.unwrap_or(10),
                mean_image: s.mean_image.as_deref().map(crate::io::absolute),
                mean_image_sha256,
            })
        } else {
            for (given, key) in [
                (s.color.is_some(), "color"),
                (s.crops.is_some(), "crops"),
                (s.mean_image.is_some(), "mean_image"),
            ] {
                if given {
                    return Err(Error::setting(
                        key,
                        format!(
                            "{} takes grey images; {key} is for ImageNet networks",
                            arch.name
                        ),
                    ));
                }
            }
            None
        })
    }
}

impl RunConfig {
    /// The effective configuration of a new run with settings `s`: checked, with the
    /// network's defaults filled in and the checksums of the files it reads.
    pub fn new(s: &EvolveSettings) -> Result<RunConfig> {
        if s.batch == Some(0) {
            return Err(Error::setting("batch", "must be at least 1"));
        }
        let loaded = crate::nn::load(&s.net, s.weights.as_deref(), &s.preprocess)?;
        let arch = &loaded.arch;
        let colour = arch.input[0] == 3;
        let color = ColorConfig::new(s, arch)?;
        let batch = s.batch.unwrap_or(match (s.encoding, colour) {
            (Encoding::Cppn, true) => 400,
            _ => 200,
        });
        let search = match s.encoding {
            Encoding::Direct => SearchConfig::Direct(DirectConfig {
                batch,
                seed: s.seed,
                rate: s.rate,
                schedule: s.schedule,
                eta: 15.0,
                crossover: s.crossover,
                cells: s.cells,
            }),
            Encoding::Cppn => SearchConfig::Cppn(CppnConfig {
                batch,
                seed: s.seed,
                cells: s.cells,
                ..CppnConfig::default()
            }),
        };
        let config = RunConfig {
            net: loaded.recorded_net(&s.net),
            weights_sha256: loaded.sha256.clone(),
            weights: loaded.file.clone(),
            preprocess: loaded.preprocess.clone(),
            search,
            generations: s.generations.unwrap_or(200),
            checkpoint_every: s.checkpoint_every,
            stats_every: s.stats_every,
            color,
            command: s.command.clone(),
            fooling_version: env!("CARGO_PKG_VERSION").into(),
        };
        config.check()?;
        Ok(config)
    }

    /// What ties a checkpoint to this run: the sha256 of every parameter that shapes the run
    /// (all of them but the number of generations, which `--resume` may change, the
    /// command line and the version) with the weights' and mean image's sha256.
    pub fn seal(&self) -> String {
        use sha2::Digest;
        let shape = RunConfig {
            generations: 0,
            command: None,
            fooling_version: String::new(),
            ..self.clone()
        };
        let text = toml::to_string(&shape).unwrap_or_default();
        format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
    }

    /// The run's encoding.
    pub fn encoding(&self) -> Encoding {
        self.search.encoding()
    }

    /// The run's seed.
    pub fn seed(&self) -> u32 {
        self.search.seed()
    }

    /// This configuration with another seed (a study's run).
    pub fn with_seed(&self, seed: u32) -> RunConfig {
        let mut c = self.clone();
        c.search.set_seed(seed);
        c
    }

    /// Whether `other` runs as this one does, but for the command line and the version that
    /// wrote it: what runs evolved in one batch share.
    pub fn same_run_as(&self, other: &RunConfig) -> bool {
        let plain = |c: &RunConfig| RunConfig {
            command: None,
            fooling_version: String::new(),
            ..c.clone()
        };
        plain(self) == plain(other)
    }

    /// Refuses a configuration the run loop cannot follow (a resumed run's file is checked
    /// as a new run's options are).
    pub fn check(&self) -> Result<()> {
        for (v, key) in [
            (self.checkpoint_every, "checkpoint_every"),
            (self.stats_every, "stats_every"),
        ] {
            if v == 0 {
                return Err(Error::setting(key, "must be at least 1"));
            }
        }
        Ok(())
    }
}
