//! `fooling ascent`.

use super::args::*;
use anyhow::{bail, Context, Result};
use fooling::io::sha256_file;
use fooling::nn::{self, Network, Weights};
use std::path::Path;

/// The classes named by `--classes` (all, or a comma-separated list), checked against `classes`.
fn parse_classes(spec: &str, classes: usize) -> Result<Vec<u32>> {
    if spec.trim() == "all" {
        return Ok((0..classes as u32).collect());
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        let c: u32 = part
            .trim()
            .parse()
            .with_context(|| format!("--classes: {part:?} is not a class index (or use all)"))?;
        if c as usize >= classes {
            bail!("--classes: class {c} is not one of the network's {classes} classes");
        }
        if out.contains(&c) {
            bail!("--classes: class {c} is named twice");
        }
        out.push(c);
    }
    Ok(out)
}

pub fn ascent(gpu_args: &GpuArgs, args: &AscentArgs) -> Result<()> {
    use fooling::ascent::{first_above, Ascent, AscentConfig};
    use fooling::stats::Stats;
    use indicatif::{ProgressBar, ProgressStyle};

    let dir = &args.out;
    if dir.join("config.toml").exists() {
        bail!(
            "--out {}: holds a run already; choose another directory",
            dir.display()
        );
    }
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => nn::shipped_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, nn::by_name(&args.net)?)?;
    let (mean, mean_source) = ascent_mean(args, &arch)?;
    let config = AscentConfig {
        classes: parse_classes(&args.classes, arch.num_classes())?,
        iterations: args.iterations,
        decay: args.decay,
        max_lr: args.max_lr,
        seed: args.seed,
        noise: args.noise,
        blur_every: args.blur_every,
        blur_sigma: args.blur_sigma,
    };
    #[derive(serde::Serialize)]
    struct RunFile<'a> {
        net: &'a str,
        weights: &'a Path,
        weights_sha256: String,
        mean_image: &'a str,
        #[serde(flatten)]
        config: &'a AscentConfig,
        fooling_version: &'a str,
    }
    let run_file = toml::to_string(&RunFile {
        net: &args.net,
        weights: &weights_path,
        weights_sha256: sha256_file(&weights_path)?,
        mean_image: &mean_source,
        config: &config,
        fooling_version: env!("CARGO_PKG_VERSION"),
    })?;

    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch.clone(), &weights)?;
    // classes in groups of at most one forward chunk (all of them at once for LeNet)
    let group = net.max_chunk(&gpu)?.min(config.classes.len());
    let groups: Vec<AscentConfig> = config
        .classes
        .chunks(group)
        .map(|classes| AscentConfig {
            classes: classes.to_vec(),
            ..config.clone()
        })
        .collect();
    // every group is checked before anything is written
    let mut first = Some(Ascent::new(&gpu, &net, &mean, groups[0].clone())?);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fooling::io::write_atomic(&dir.join("config.toml"), run_file.as_bytes())?;

    let classes = config.classes.len();
    let total = config.iterations as u64 * groups.len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    let start = std::time::Instant::now();
    // per group: (iterations, group) probabilities, best images, states
    let mut histories = Vec::new();
    let (mut best, mut states) = (Vec::new(), Vec::new());
    let mut seconds = Vec::new(); // when each iteration of the last group ended
    for (g, cfg) in groups.iter().enumerate() {
        let mut run = match first.take() {
            Some(run) => run,
            None => Ascent::new(&gpu, &net, &mean, cfg.clone())?,
        };
        let b = cfg.classes.len();
        let mut history = Vec::new();
        seconds.clear();
        while run.iteration() < cfg.iterations {
            let from = run.iteration();
            run.step(10)?;
            let rows = run.history(from, run.iteration())?;
            let now = start.elapsed().as_secs_f64();
            seconds.extend(std::iter::repeat_n(now, rows.len() / b));
            let s = Stats::of(&rows[rows.len() - b..]);
            let done = g as u64 * cfg.iterations as u64 + run.iteration() as u64;
            let rate = done as f64 * b as f64 / now;
            bar.set_position(done);
            bar.set_message(format!(
                "classes {}/{}: median {:.4}  min {:.4}  {rate:.0} image steps/s",
                g * group + b,
                classes,
                s.median,
                s.min
            ));
            if bar.is_hidden() && run.iteration() % 100 < 10 {
                eprintln!(
                    "classes {}-{} of {classes}, iteration {}/{}: median {:.6}, min {:.6}, {rate:.0} image steps/s",
                    g * group,
                    g * group + b - 1,
                    run.iteration(),
                    cfg.iterations,
                    s.median,
                    s.min
                );
            }
            history.extend(rows);
        }
        histories.push(history);
        best.extend(run.best_images()?);
        states.extend(run.states()?);
    }
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();

    // stats over every class per iteration (groups side by side)
    let mut stats = String::from("iteration,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds\n");
    for it in 0..config.iterations as usize {
        let row: Vec<f32> = groups
            .iter()
            .zip(&histories)
            .flat_map(|(cfg, h)| {
                let b = cfg.classes.len();
                h[it * b..(it + 1) * b].to_vec()
            })
            .collect();
        let s = Stats::of(&row);
        stats.push_str(&format!(
            "{it},{:.6},{:.6},{:.6},{:.6},{},{},{:.3}\n",
            s.median, s.mean, s.min, s.max, s.n_ge_099, s.n_ge_09999, seconds[it]
        ));
    }
    fooling::io::write_atomic(&dir.join("stats.csv"), stats.as_bytes())?;

    // the best images as the 8-bit PNGs a user will hand to a classifier, re-measured
    let bytes: Vec<u8> = best
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let n = arch.input_len();
    let mut conf8 = Vec::with_capacity(classes);
    for (k, part) in bytes.chunks(group * n).enumerate() {
        let probs = net.classify(&gpu, &arch.to_input(part))?;
        for (j, p) in probs.iter().enumerate() {
            conf8.push(p[config.classes[k * group + j] as usize]);
        }
    }
    let mut firsts = Vec::with_capacity(classes);
    for (cfg, h) in groups.iter().zip(&histories) {
        let b = cfg.classes.len();
        for i in 0..b {
            firsts.push([0.99, 0.999, 0.9999].map(|t| first_above(h, b, i, t)));
        }
    }
    fooling::ascent::write_outputs(
        dir,
        &arch.labels,
        &config.classes,
        &conf8,
        &states,
        &firsts,
        &bytes,
        arch.input,
        arch.pixels.order,
    )?;
    let s = Stats::of(&conf8);
    println!(
        "{} iterations: median confidence {:.6} (saved 8-bit images), {} of {} classes >= 0.99, {} >= 0.9999; {:.1} s",
        config.iterations, s.median, s.n_ge_099, classes, s.n_ge_09999, elapsed
    );
    println!("wrote {}", dir.display());
    Ok(())
}

/// The mean image an ascent starts from and decays toward, `(c, h, w)` in pixel units, and
/// where it came from: `--mean-image`, else for grey networks the mean of `--data`'s
/// training images, else the network's own per-channel input mean.
fn ascent_mean(args: &AscentArgs, arch: &nn::Arch) -> Result<(Vec<f32>, String)> {
    let [c, h, w] = arch.input;
    if let Some(path) = &args.mean_image {
        let px = if c == 1 {
            fooling::imaging::load::load_grey(path, w, h, false)?
        } else {
            fooling::imaging::load::load_color_cropped(path, w, h, arch.pixels.order)?
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
    let (train, _) = fooling::data::load_dir(&args.data)?;
    if (train.height, train.width) != (h, w) {
        bail!(
            "--data {}: images are {}x{}, {} takes {w}x{h}",
            args.data.display(),
            train.width,
            train.height,
            arch.name
        );
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
            args.data.display()
        ),
    ))
}
