//! Training a network into a weights file (`fooling train`): the settings a user gives, the
//! loop with an observer (the loss is read every 100 iterations, the one host round trip),
//! the held-out accuracy, and the model card written beside the weights. Nothing here
//! prints.

use super::{accuracy, by_name, Network, TrainConfig, Trainer, Weights};
use crate::error::{Error, Result};
use crate::gpu::{describe, Gpu};
use crate::io::{sha256_file, write_atomic};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a user gives for a training: `fooling train`'s options, declared here once (the
/// command line flattens them; each doc line is its `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct TrainSettings {
    /// Network architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Directory with train-{images,labels} and heldout-* (or t10k-*) IDX files, raw or gzip.
    #[arg(long, value_name = "DIR", default_value = "data/mnist-10k")]
    pub data: PathBuf,
    #[command(flatten)]
    pub config: TrainConfig,
    /// A directory of PNG images added to the training set as one more class ("fooling").
    #[arg(long, value_name = "DIR")]
    pub extra_class: Option<PathBuf>,
    /// Where to write the weights (safetensors); the model card goes beside it as .md.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the weights file (and its model card) if it exists.
    #[arg(long)]
    pub force: bool,
    /// The command line that asked for this training, recorded in the model card.
    #[arg(skip)]
    pub command: String,
}

/// What the training is about to do.
#[derive(Clone, Debug)]
pub struct TrainStart {
    pub arch: String,
    pub images: usize,
    /// Of them, the extra class's.
    pub extra: Option<usize>,
    pub held_out: usize,
    pub adapter: String,
}

/// What a training tells whoever watches it.
pub trait TrainObserver {
    fn started(&mut self, _s: &TrainStart) {}
    /// After `iteration` of `iterations`: the loss and images per second.
    fn progress(&mut self, _iteration: usize, _iterations: usize, _loss: f32, _rate: f64) {}
}

impl TrainObserver for () {}

/// How a training ended.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    pub accuracy: f64,
    pub held_out: usize,
    pub loss: f32,
    pub seconds: f64,
    pub card: PathBuf,
}

/// The PNGs of `dir`, sorted by name.
fn pngs(dir: &Path) -> Result<Vec<PathBuf>> {
    let bad = |message: String| Error::setting_value("extra_class", dir.display(), message);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(bad("no PNG images in the directory".into()));
    }
    Ok(files)
}

/// Checks, before any work, what `s` asks for: a weights file that ends in `.safetensors`
/// and that (with its card) can be written, some iterations, and a built-in network.
fn check(s: &TrainSettings) -> Result<()> {
    if s.out.extension().is_none_or(|e| e != "safetensors") {
        return Err(Error::setting_value(
            "out",
            s.out.display(),
            "the weights file must end in .safetensors",
        ));
    }
    if s.config.iterations == 0 {
        return Err(Error::setting("iterations", "must be at least 1"));
    }
    // before the work, not after it: nothing already written is replaced unasked
    crate::io::check_output("out", &s.out, None, s.force)?;
    crate::io::check_output("out", &s.out.with_extension("md"), None, s.force)?;
    super::load::builtin_only(&s.net, "train")?;
    Ok(())
}

/// Runs the trainer's iterations, reporting progress; the last loss read. The loss is read
/// (and a stop request honoured) every 25 iterations.
fn iterate(
    s: &TrainSettings,
    trainer: &mut Trainer<'_>,
    observer: &mut dyn TrainObserver,
    start: Instant,
) -> Result<f32> {
    let config = &s.config;
    let every = 25.min(config.iterations);
    let mut loss = f32::NAN;
    let stop = crate::signal::stop();
    while trainer.iteration < config.iterations {
        stop.check(|| {
            format!(
                "training does not resume (the optimiser's state is not saved); {} was not written",
                s.out.display()
            )
        })?;
        let n = every.min(config.iterations - trainer.iteration);
        trainer.step(n)?;
        loss = trainer.loss()?; // waits for the device
        let rate = trainer.iteration as f64 * config.batch as f64 / start.elapsed().as_secs_f64();
        observer.progress(trainer.iteration, config.iterations, loss, rate);
    }
    Ok(loss)
}

/// Trains the network of `s` and writes its weights and model card.
pub fn train(
    gpu: &Gpu,
    s: &TrainSettings,
    observer: &mut dyn TrainObserver,
) -> Result<TrainOutcome> {
    check(s)?;
    let mut arch = by_name(&s.net)?;
    let (mut train, held) = crate::data::load_dir(&s.data)?;
    let base_classes = arch.num_classes();
    let extra = match &s.extra_class {
        Some(dir) => {
            let files = pngs(dir)?;
            train.add_class(&files, base_classes as u8)?;
            arch = arch.with_classes(base_classes + 1, "fooling")?;
            Some(files.len())
        }
        None => None,
    };
    let config = &s.config;
    let weights = Weights::random(&arch, config.seed)?;
    let net = Network::new(gpu, arch.clone(), &weights)?;
    let mut trainer = Trainer::new(gpu, net, &train, config.clone())?;
    observer.started(&TrainStart {
        arch: arch.name.clone(),
        images: train.len(),
        extra,
        held_out: held.len(),
        adapter: describe(&gpu.info),
    });
    let start = Instant::now();
    let loss = iterate(s, &mut trainer, observer, start)?;
    let seconds = start.elapsed().as_secs_f64();
    let acc = accuracy(gpu, &trainer.net, &held)?;
    trainer.weights()?.save(&s.out)?;
    let card = write_card(
        s,
        &Card {
            arch: &arch,
            extra,
            base_classes,
            train: train.len(),
            held: held.len(),
            accuracy: acc,
            seconds,
            adapter: describe(&gpu.info),
        },
    )?;
    Ok(TrainOutcome {
        accuracy: acc,
        held_out: held.len(),
        loss,
        seconds,
        card,
    })
}

/// What the model card says besides the settings.
struct Card<'a> {
    arch: &'a super::Arch,
    extra: Option<usize>,
    base_classes: usize,
    train: usize,
    held: usize,
    accuracy: f64,
    seconds: f64,
    adapter: String,
}

/// Writes the model card beside the weights `s.out`; returns its path.
fn write_card(s: &TrainSettings, c: &Card<'_>) -> Result<PathBuf> {
    let config = &s.config;
    let card = s.out.with_extension("md");
    let extra_row = match (&s.extra_class, c.extra) {
        (Some(dir), Some(n)) => format!(
            "| extra class | {n} images from `{}` as class {} (\"fooling\") |\n",
            dir.display(),
            c.base_classes
        ),
        _ => String::new(),
    };
    let text = format!(
        "# Model card: `{name}`\n\n\
         | | |\n|---|---|\n\
         | architecture | {arch} ({classes} classes) |\n\
         | data | `{data}`: {ntrain} training images, {nheld} held out |\n{extra_row}\
         | recipe | SGD, batch {batch}, base lr {lr}, momentum {mom}, weight decay {wd}, `inv` schedule (gamma {gamma}, power {power}), bias lr × {blr}, {iters} iterations, xavier init{augment} |\n\
         | seed | {seed} |\n\
         | held-out accuracy | {acc:.2}% |\n\
         | trained on | {adapter} in {seconds:.0} s |\n\
         | sha256 | `{digest}` |\n\
         | command | `{command}` |\n",
        name = s.out.file_name().unwrap_or_default().to_string_lossy(),
        arch = c.arch.name,
        classes = c.arch.num_classes(),
        data = s.data.display(),
        ntrain = c.train,
        nheld = c.held,
        batch = config.batch,
        lr = config.base_lr,
        mom = config.momentum,
        wd = config.weight_decay,
        gamma = config.gamma,
        power = config.power,
        blr = config.bias_lr_mult,
        iters = config.iterations,
        augment = match &config.augment {
            Some(a) => format!(
                ", augmented (each image shifted by up to {} px, rotated by up to {}° and scaled by up to {}% at random, on the device)",
                a.shift,
                a.rotate,
                a.scale * 100.0
            ),
            None => String::new(),
        },
        seed = config.seed,
        seconds = c.seconds,
        acc = c.accuracy * 100.0,
        adapter = c.adapter,
        digest = sha256_file(&s.out)?,
        command = s.command,
    );
    write_atomic(&card, text.as_bytes())?;
    Ok(card)
}
