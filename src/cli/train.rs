//! `fooling train`.

use super::args::*;
use anyhow::{bail, Context, Result};
use fooling::gpu::describe;
use fooling::io::sha256_file;
use fooling::nn::{self, Network, Weights};
use std::path::{Path, PathBuf};

/// The PNGs of `dir` (sorted by name) as one more class of `data`.
fn add_extra_class(data: &mut fooling::data::Dataset, dir: &Path, label: u8) -> Result<usize> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--extra-class {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "--extra-class {}: no PNG images in the directory",
            dir.display()
        );
    }
    for f in &files {
        data.images.extend(fooling::imaging::load::load_grey(
            f,
            data.width,
            data.height,
            false,
        )?);
        data.labels.push(label);
    }
    Ok(files.len())
}

pub fn train(gpu_args: &GpuArgs, args: &TrainArgs) -> Result<()> {
    use fooling::nn::{accuracy, TrainConfig, Trainer};
    use indicatif::{ProgressBar, ProgressStyle};
    if args.out.extension().is_none_or(|e| e != "safetensors") {
        bail!(
            "--out {}: the weights file must end in .safetensors",
            args.out.display()
        );
    }
    if args.iterations == 0 {
        bail!("--iterations: must be at least 1");
    }
    let mut arch = nn::by_name(&args.net)?;
    let (mut train, held) = fooling::data::load_dir(&args.data)?;
    let base_classes = arch.num_classes();
    let extra = match &args.extra_class {
        Some(dir) => {
            let n = add_extra_class(&mut train, dir, base_classes as u8)?;
            arch = arch.with_classes(base_classes + 1, "fooling")?;
            Some(n)
        }
        None => None,
    };
    let config = TrainConfig {
        iterations: args.iterations,
        batch: args.batch,
        base_lr: args.base_lr,
        momentum: args.momentum,
        weight_decay: args.weight_decay,
        seed: args.seed,
        ..TrainConfig::default()
    };
    let gpu = gpu_args.open()?;
    let weights = Weights::random(&arch, args.seed)?;
    let net = Network::new(&gpu, arch.clone(), &weights)?;
    let mut trainer = Trainer::new(&gpu, net, &train, config.clone())?;
    eprintln!(
        "training {} on {} ({} images{}, {} held out) on {}",
        arch.name,
        args.data.display(),
        train.len(),
        extra
            .map(|n| format!(", {n} of them the extra class"))
            .unwrap_or_default(),
        held.len(),
        describe(&gpu.info)
    );
    let bar = ProgressBar::new(args.iterations as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    let start = std::time::Instant::now();
    let every = 100.min(args.iterations);
    let mut loss = f32::NAN;
    while trainer.iteration < args.iterations {
        let n = every.min(args.iterations - trainer.iteration);
        trainer.step(n)?;
        loss = trainer.loss()?; // waits for the device
        let rate = trainer.iteration as f64 * args.batch as f64 / start.elapsed().as_secs_f64();
        bar.set_position(trainer.iteration as u64);
        bar.set_message(format!("loss {loss:.4}  {rate:.0} images/s"));
        if bar.is_hidden()
            && (trainer.iteration % 1000 == 0 || trainer.iteration == args.iterations)
        {
            // headless (stderr is not a terminal): a plain line now and then instead
            eprintln!(
                "iteration {}/{}: loss {loss:.4}, {rate:.0} images/s, {:.0} s",
                trainer.iteration,
                args.iterations,
                start.elapsed().as_secs_f64()
            );
        }
    }
    bar.finish();
    let seconds = start.elapsed().as_secs_f64();
    let acc = accuracy(&gpu, &trainer.net, &held)?;
    println!(
        "held-out accuracy: {:.2}% ({} images), final loss {loss:.4}, {seconds:.0} s",
        acc * 100.0,
        held.len()
    );
    trainer.weights()?.save(&args.out)?;
    let digest = sha256_file(&args.out)?;
    let card = args.out.with_extension("md");
    let command = std::iter::once("fooling".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let extra_row = match (&args.extra_class, extra) {
        (Some(dir), Some(n)) => format!(
            "| extra class | {n} images from `{}` as class {base_classes} (\"fooling\") |\n",
            dir.display()
        ),
        _ => String::new(),
    };
    let text = format!(
        "# Model card: `{name}`\n\n\
         | | |\n|---|---|\n\
         | architecture | {arch} ({classes} classes) |\n\
         | data | `{data}`: {ntrain} training images, {nheld} held out |\n{extra_row}\
         | recipe | SGD, batch {batch}, base lr {lr}, momentum {mom}, weight decay {wd}, `inv` schedule (gamma {gamma}, power {power}), bias lr × {blr}, {iters} iterations, xavier init |\n\
         | seed | {seed} |\n\
         | held-out accuracy | {acc:.2}% |\n\
         | trained on | {adapter} in {seconds:.0} s |\n\
         | sha256 | `{digest}` |\n\
         | command | `{command}` |\n",
        name = args.out.file_name().unwrap().to_string_lossy(),
        arch = arch.name,
        classes = arch.num_classes(),
        data = args.data.display(),
        ntrain = train.len(),
        nheld = held.len(),
        batch = config.batch,
        lr = config.base_lr,
        mom = config.momentum,
        wd = config.weight_decay,
        gamma = config.gamma,
        power = config.power,
        blr = config.bias_lr_mult,
        iters = config.iterations,
        seed = config.seed,
        acc = acc * 100.0,
        adapter = describe(&gpu.info),
    );
    fooling::io::write_atomic(&card, text.as_bytes())?;
    println!("wrote {} and {}", args.out.display(), card.display());
    Ok(())
}
