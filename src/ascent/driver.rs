//! An ascent run from start to end: the settings a user gives, the mean image it starts
//! from, the target classes in groups of one forward chunk, `config.toml` and `stats.csv`,
//! and the best images re-measured as the 8-bit PNGs a user will hand to a classifier.
//! Progress goes to an [`AscentObserver`]; nothing here prints.

use super::{first_above, Ascent, AscentConfig};
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::io::write_atomic;
use crate::nn::{self, Arch, Network};
use crate::stats::Stats;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a user gives for an ascent run: `fooling ascent`'s options, declared here once (the
/// command line flattens them; each doc line is its `--help`, each default is here and
/// [`AscentConfig::default`] reads it).
#[derive(Clone, Debug, clap::Args)]
pub struct AscentSettings {
    /// Network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub preprocess: crate::nn::preprocess::Preprocess,
    /// Target classes: all, or a comma-separated list of class indices (e.g. 0,3,7).
    #[arg(long, default_value = "all", value_name = "all|LIST")]
    pub classes: String,
    #[arg(long, default_value_t = 300)]
    pub iterations: u32,
    /// Pull toward the mean image by this fraction each step (the L2 regulariser; 0: none).
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub decay: f32,
    /// The largest step size.
    #[arg(long, default_value_t = 1e12, allow_hyphen_values = true)]
    pub max_lr: f32,
    /// Seeds the initial noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// σ of the Gaussian noise added to the mean image at the start, in pixel units.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub noise: f32,
    /// Blur the images every K iterations (0: never).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub blur_every: u32,
    /// σ of that blur, in pixels.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub blur_sigma: f32,
    /// The mean image: a PNG of the network's input size, or larger and cropped at the
    /// centre (ImageNet's 256×256 mean for a 227×227 CaffeNet) [default: LeNet, the mean of
    /// --data's training images; ImageNet networks, their per-channel mean].
    #[arg(long, value_name = "FILE")]
    pub mean_image: Option<PathBuf>,
    /// Training data whose mean image the ascent starts from and decays toward.
    #[arg(long, value_name = "DIR", default_value = "data/mnist-10k")]
    pub data: PathBuf,
    /// The command line that asks for the run, recorded in its `config.toml`.
    #[arg(skip)]
    pub command: Option<String>,
}

impl AscentSettings {
    /// `fooling ascent`'s defaults for `net` (the paper's).
    pub fn new(net: &str) -> AscentSettings {
        AscentSettings {
            net: net.into(),
            ..crate::command_line::defaults(&[])
        }
    }
}

impl AscentSettings {
    /// The ascent these settings ask for on a network of `classes` classes.
    fn config(&self, classes: usize) -> Result<AscentConfig> {
        Ok(AscentConfig {
            classes: parse_classes(&self.classes, classes)?,
            iterations: self.iterations,
            decay: self.decay,
            max_lr: self.max_lr,
            seed: self.seed,
            noise: self.noise,
            blur_every: self.blur_every,
            blur_sigma: self.blur_sigma,
        })
    }
}

/// An ascent run's `config.toml`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AscentRunFile {
    pub net: String,
    /// The weights file, or the ONNX model.
    pub weights: PathBuf,
    pub weights_sha256: String,
    /// An ONNX model's preprocessing, every default filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<crate::nn::preprocess::Preprocess>,
    /// Where the mean image came from, in words.
    pub mean_image: String,
    #[serde(flatten)]
    pub config: AscentConfig,
    /// The command line that made the run, when it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub fooling_version: String,
}

/// Where an ascent stands after a recorded step.
#[derive(Clone, Debug)]
pub struct AscentProgress {
    /// The classes of the current group: `classes[first..end]`.
    pub first: usize,
    pub end: usize,
    pub classes: usize,
    pub iteration: u32,
    pub iterations: u32,
    /// Iterations done over all groups, of `total`.
    pub done: u64,
    pub total: u64,
    /// Over the current group's target probabilities.
    pub stats: Stats,
    /// Image steps per second.
    pub rate: f64,
}

/// What an ascent run tells whoever watches it.
pub trait AscentObserver {
    fn progress(&mut self, _p: &AscentProgress) {}
}

impl AscentObserver for () {}

/// How an ascent run ended.
#[derive(Clone, Debug)]
pub struct AscentOutcome {
    pub iterations: u32,
    pub classes: usize,
    /// Over the saved 8-bit images' confidences.
    pub stats: Stats,
    pub seconds: f64,
}

/// The classes named by `spec` (`all`, or a comma-separated list), checked against `classes`.
pub fn parse_classes(spec: &str, classes: usize) -> Result<Vec<u32>> {
    let bad = |message: String| Error::Setting {
        value: None,
        key: "classes",
        message,
    };
    if spec.trim() == "all" {
        return Ok((0..classes as u32).collect());
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        let c: u32 = part
            .trim()
            .parse()
            .map_err(|e| bad(format!("{part:?} is not a class index (or use all): {e}")))?;
        if c as usize >= classes {
            return Err(bad(format!(
                "class {c} is not one of the network's {classes} classes"
            )));
        }
        if out.contains(&c) {
            return Err(bad(format!("class {c} is named twice")));
        }
        out.push(c);
    }
    Ok(out)
}

/// Runs the ascent of `settings` into `dir`, which must not hold a run already.
pub fn run(
    gpu: &Gpu,
    settings: &AscentSettings,
    dir: &Path,
    observer: &mut dyn AscentObserver,
) -> Result<AscentOutcome> {
    if dir.join("config.toml").exists() {
        return Err(Error::setting_value(
            "out",
            dir.display(),
            "holds a run already; choose another directory",
        ));
    }
    let loaded = nn::load(
        &settings.net,
        settings.weights.as_deref(),
        &settings.preprocess,
    )?;
    let net = loaded.recorded_net(&settings.net);
    let (arch, weights) = (loaded.arch, loaded.weights);
    let (mean, mean_source) = mean_image(settings, &arch)?;
    let config = settings.config(arch.num_classes())?;
    let path = dir.join("config.toml");
    let run_file = crate::rundir::config::text(
        &path,
        crate::rundir::Kind::Ascent,
        &AscentRunFile {
            net,
            weights: loaded.file,
            weights_sha256: loaded.sha256,
            preprocess: loaded.preprocess,
            mean_image: mean_source,
            config: config.clone(),
            command: settings.command.clone(),
            fooling_version: env!("CARGO_PKG_VERSION").into(),
        },
    )?;
    let net = Network::new(gpu, arch, &weights)?;
    // classes in groups of at most one forward chunk (all of them at once for LeNet)
    let group = net.max_chunk(gpu)?.min(config.classes.len());
    let groups: Vec<AscentConfig> = config
        .classes
        .chunks(group)
        .map(|classes| AscentConfig {
            classes: classes.to_vec(),
            ..config.clone()
        })
        .collect();
    // every group is checked before anything is written
    let first = Ascent::new(gpu, &net, &mean, groups[0].clone())?;
    let _lock = crate::io::lock_dir(dir)?;
    if dir.join("config.toml").exists() {
        return Err(Error::setting_value(
            "out",
            dir.display(),
            "holds a run already; choose another directory",
        ));
    }
    crate::io::check_new_dir("out", dir)?;
    write_atomic(&path, run_file.as_bytes())?;
    let start = Instant::now();
    let done = run_groups(gpu, &net, &mean, &groups, first, group, observer, &start)?;
    let elapsed = start.elapsed().as_secs_f64();
    write_stats(dir, &groups, &done.histories, &done.seconds)?;
    let conf8 = save_images(gpu, &net, dir, &config, &groups, group, &done)?;
    Ok(AscentOutcome {
        iterations: config.iterations,
        classes: config.classes.len(),
        stats: Stats::of(&conf8),
        seconds: elapsed,
    })
}

/// What the groups left: per group its `(iterations, group)` probabilities; every class's
/// best image and state; when each iteration of the last group ended.
struct Done {
    histories: Vec<Vec<f32>>,
    best: Vec<f32>,
    states: Vec<crate::kernels::AscentState>,
    seconds: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn run_groups(
    gpu: &Gpu,
    net: &Network,
    mean: &[f32],
    groups: &[AscentConfig],
    first: Ascent<'_>,
    group: usize,
    observer: &mut dyn AscentObserver,
    start: &Instant,
) -> Result<Done> {
    let classes: usize = groups.iter().map(|g| g.classes.len()).sum();
    let total = groups[0].iterations as u64 * groups.len() as u64;
    let mut first = Some(first);
    let mut done = Done {
        histories: Vec::new(),
        best: Vec::new(),
        states: Vec::new(),
        seconds: Vec::new(),
    };
    for (g, cfg) in groups.iter().enumerate() {
        let mut run = match first.take() {
            Some(run) => run,
            None => Ascent::new(gpu, net, mean, cfg.clone())?,
        };
        let b = cfg.classes.len();
        let mut history = Vec::new();
        done.seconds.clear();
        while run.iteration() < cfg.iterations {
            let from = run.iteration();
            crate::signal::stop().check(|| {
                "an ascent does not resume (it is short): run it again into a new directory".into()
            })?;
            run.step(10)?;
            let rows = run.history(from, run.iteration())?;
            let now = start.elapsed().as_secs_f64();
            done.seconds
                .extend(std::iter::repeat_n(now, rows.len() / b));
            let finished = g as u64 * cfg.iterations as u64 + run.iteration() as u64;
            observer.progress(&AscentProgress {
                first: g * group,
                end: g * group + b,
                classes,
                iteration: run.iteration(),
                iterations: cfg.iterations,
                done: finished,
                total,
                stats: Stats::of(&rows[rows.len() - b..]),
                rate: finished as f64 * b as f64 / now,
            });
            history.extend(rows);
        }
        done.histories.push(history);
        done.best.extend(run.best_images()?);
        done.states.extend(run.states()?);
    }
    Ok(done)
}

/// `stats.csv`: the statistics over every class per iteration (groups side by side).
fn write_stats(
    dir: &Path,
    groups: &[AscentConfig],
    histories: &[Vec<f32>],
    seconds: &[f64],
) -> Result<()> {
    use crate::rundir::rows::{self, IterationRow};
    let mut stats = Vec::with_capacity(groups[0].iterations as usize);
    for it in 0..groups[0].iterations as usize {
        let row: Vec<f32> = groups
            .iter()
            .zip(histories)
            .flat_map(|(cfg, h)| {
                let b = cfg.classes.len();
                h[it * b..(it + 1) * b].to_vec()
            })
            .collect();
        stats.push(IterationRow::new(it as u32, &Stats::of(&row), seconds[it]));
    }
    let path = dir.join("stats.csv");
    let text = rows::text(&path, &rows::header::<IterationRow>(), &stats)?;
    write_atomic(&path, text.as_bytes())
}

/// Saves the best images as 8-bit PNGs with `champions.csv` and the gallery; returns each
/// saved image's confidence, re-measured.
fn save_images(
    gpu: &Gpu,
    net: &Network,
    dir: &Path,
    config: &AscentConfig,
    groups: &[AscentConfig],
    group: usize,
    done: &Done,
) -> Result<Vec<f32>> {
    let arch = &net.arch;
    let bytes: Vec<u8> = done
        .best
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let n = arch.input_len();
    let mut conf8 = Vec::with_capacity(config.classes.len());
    for (k, part) in bytes.chunks(group * n).enumerate() {
        let probs = net.classify(gpu, &arch.to_input(part))?;
        for (j, p) in probs.iter().enumerate() {
            conf8.push(p[config.classes[k * group + j] as usize]);
        }
    }
    let mut firsts = Vec::with_capacity(config.classes.len());
    for (cfg, h) in groups.iter().zip(&done.histories) {
        let b = cfg.classes.len();
        for i in 0..b {
            firsts.push([0.99, 0.999, 0.9999].map(|t| first_above(h, b, i, t)));
        }
    }
    super::write_outputs(
        dir,
        &arch.labels,
        &config.classes,
        &conf8,
        &done.states,
        &firsts,
        &bytes,
        arch.input,
        arch.pixels.order,
    )?;
    Ok(conf8)
}

/// The mean image an ascent starts from and decays toward, `(c, h, w)` in pixel units, and
/// where it came from: the settings' mean image, else for grey networks the mean of the
/// training images of `data`, else the network's own per-channel input mean.
fn mean_image(settings: &AscentSettings, arch: &Arch) -> Result<(Vec<f32>, String)> {
    let [c, h, w] = arch.input;
    if let Some(path) = &settings.mean_image {
        let px = if c == 1 {
            crate::imaging::load::load_grey(path, w, h, false)?
        } else {
            crate::imaging::load::load_color_cropped(path, w, h, arch.pixels.order)?
        };
        return Ok((
            px.iter().map(|&v| v as f32).collect(),
            path.display().to_string(),
        ));
    }
    if c != 1 {
        let mean = (0..c * h * w)
            .map(|i| arch.pixels.mean[i / (h * w)])
            .collect();
        return Ok((mean, format!("{}'s per-channel input mean", arch.name)));
    }
    let data = &settings.data;
    let (train, _) = crate::data::load_dir(data)?;
    if (train.height, train.width) != (h, w) {
        return Err(Error::setting_value(
            "data",
            data.display(),
            format!(
                "images are {}x{}, {} takes {w}x{h}",
                train.width, train.height, arch.name
            ),
        ));
    }
    let mut sum = vec![0f64; h * w];
    for i in 0..train.len() {
        for (s, &v) in sum.iter_mut().zip(train.image(i)) {
            *s += v as f64;
        }
    }
    Ok((
        sum.iter()
            .map(|&s| (s / train.len() as f64) as f32)
            .collect(),
        format!(
            "the mean of the {} training images of {}",
            train.len(),
            data.display()
        ),
    ))
}
