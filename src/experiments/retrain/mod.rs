//! Retraining with a fooling class (docs/paper.md §7), for grey networks: DNN_1 → CPPN runs
//! against it → their images (half from the first generation, half from the last) become an
//! extra class → DNN_2 trained from scratch on the digits plus that class → CPPN runs against
//! DNN_2 on the original classes' cells → … for `rounds` retrainings.
//!
//! A study directory holds `retrain.toml` (the settings), `state.json` (written atomically
//! after every run and every training, so an interrupted study resumes where it stopped),
//! `fooling/` (the fooling class's PNGs), `networks/dnn-K.safetensors` and `retrain.csv`
//! (a row per network).

mod config;
mod state;

use crate::command_line::CommandLine;
pub use config::{RetrainConfig, RetrainSettings};
use state::write_csv;
pub use state::{RetrainLine, RetrainState, RoundRow, RETRAIN_HEADER};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::evo::{CppnConfig, CppnSearch};
use crate::gpu::Gpu;
use crate::nn::{accuracy, Network, TrainConfig, Trainer, Weights};
use crate::stats::Stats;
use std::path::{Path, PathBuf};

/// Images a CPPN run contributes per cell: one from its first generation, one from its last.
pub const IMAGES_PER_CELL: usize = 2;

/// The fooling class's `i`-th image.
fn png_path(dir: &Path, i: usize) -> PathBuf {
    dir.join("fooling").join(format!("{i:05}.png"))
}

/// Runs (or continues) the study in `dir` with `config` on `gpu` (saved first), from DNN_1
/// = the configuration's network and weights; `log` receives a line per run and per
/// training.
pub fn run(
    gpu: &Gpu,
    dir: &Path,
    config: &RetrainConfig,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<RoundRow>> {
    let _lock = crate::io::lock_dir(dir)?;
    config.save(dir)?;
    let (arch, weights) = Weights::load_sized(&config.weights, crate::nn::by_name(&config.net)?)?;
    let (arch, weights) = (&arch, &weights);
    if arch.input[0] != 1 {
        return Err(Error::setting(
            "net",
            format!("retraining needs a grey network; {} is not", arch.name),
        ));
    }
    let (train, held) = crate::data::load_dir(&config.data)?;
    let cells = arch.num_classes();
    std::fs::create_dir_all(dir.join("fooling")).map_err(|e| Error::io(dir, e))?;
    std::fs::create_dir_all(dir.join("networks")).map_err(|e| Error::io(dir, e))?;
    config.check(cells)?;
    let mut state = start_state(gpu, dir, config, (arch, weights), &held)?;
    if state.rows.last().map(|r| r.network) == Some(state.network) && !state.done(config) {
        // a finished study extended by more rounds: its last network, measured only, now
        // contributes images too, so its (seeded, repeatable) runs are done again
        state.rows.pop();
        state.runs_done = 0;
        state.run_confs.clear();
    }
    let extended = arch.clone().with_classes(cells + 1, "fooling")?;
    while !state.done(config) {
        let k = state.network;
        let net = if k == 1 {
            Network::new(gpu, arch.clone(), weights)?
        } else {
            let path = dir.join("networks").join(format!("dnn-{k}.safetensors"));
            Network::new(gpu, extended.clone(), &Weights::load(&path, &extended)?)?
        };
        // CPPN runs against DNN_k on the original classes' cells
        let runs = config.runs(k, cells);
        let mut net = Some(net);
        while state.runs_done < runs {
            net = Some(one_run(
                gpu,
                dir,
                config,
                &mut state,
                net.take().expect("the network"),
                (k, cells),
                log,
            )?);
        }
        let s = Stats::of(&state.run_confs);
        state.rows.push(RoundRow {
            network: k,
            fooling_images: state.trained_with,
            held_out_accuracy: state.accuracy,
            runs,
            champions: state.run_confs.len(),
            median: s.median,
            n_ge_099: s.n_ge_099,
            n_ge_09999: s.n_ge_09999,
        });
        write_csv(dir, &state.rows)?;
        if state.done(config) {
            state.save(dir)?;
            break;
        }
        // DNN_{k+1}: the digits plus every fooling image so far as one more class
        state = train_next(gpu, dir, config, &extended, (&train, &held), state, log)?;
    }
    Ok(state.rows)
}

/// The study's state: as `state.json` left it (checked against `config`), or a fresh one
/// measuring DNN_1. A `state.json` that cannot be read, or is missing while the study holds
/// work, is an error, never a fresh start over the study.
fn start_state(
    gpu: &Gpu,
    dir: &Path,
    config: &RetrainConfig,
    (arch, weights): (&crate::nn::Arch, &Weights),
    held: &crate::data::Dataset,
) -> Result<RetrainState> {
    let cells = arch.num_classes();
    let state_path = dir.join("state.json");
    if !state_path.exists() {
        for sub in ["fooling", "networks"] {
            let held = std::fs::read_dir(dir.join(sub))
                .map_err(|e| Error::io(dir.join(sub), e))?
                .next()
                .is_some();
            if held {
                return Err(Error::Data {
                    path: state_path,
                    message: format!(
                        "is missing, while {sub}/ holds the study's work: restore it, or start a new study in another directory"
                    ),
                });
            }
        }
    }
    Ok(if state_path.exists() {
        let state = RetrainState::load(dir)?;
        state.check(config, cells, &dir.join("state.json"))?;
        state
    } else {
        let net = Network::new(gpu, arch.clone(), weights)?;
        let s = RetrainState {
            network: 1,
            accuracy: accuracy(gpu, &net, held)?,
            ..RetrainState::default()
        };
        s.save(dir)?;
        s
    })
}

/// What a stopped study keeps, and how it goes on.
fn resume_hint(dir: &Path) -> String {
    format!(
        "the study keeps every finished run and training; continue with `{}`",
        CommandLine::new("retrain").arg("resume", dir.display())
    )
}

/// Fooling images collected before DNN_k's runs.
fn images_before(config: &RetrainConfig, k: usize) -> usize {
    (1..k).map(|j| config.added(j)).sum()
}

/// `train` plus the first `count` fooling PNGs of `dir` labelled `label`.
fn with_fooling_class(train: &Dataset, dir: &Path, count: usize, label: u8) -> Result<Dataset> {
    let mut data = train.clone();
    let files: Vec<PathBuf> = (0..count).map(|i| png_path(dir, i)).collect();
    data.add_class(&files, label)?;
    Ok(data)
}

/// One CPPN run against DNN_`k` (`net`) on the first `cells` classes: its share of the fooling images saved, its
/// champions counted, the state saved; hands the network back.
fn one_run(
    gpu: &Gpu,
    dir: &Path,
    config: &RetrainConfig,
    state: &mut RetrainState,
    net: Network,
    (k, cells): (usize, usize),
    log: &mut dyn FnMut(&str),
) -> Result<Network> {
    let arch = net.arch.clone();
    let runs = config.runs(k, cells);
    let i = state.runs_done;
    let seed = config
        .seed
        .wrapping_add((k as u32).wrapping_mul(100_000))
        .wrapping_add(i as u32);
    let cppn = CppnConfig {
        batch: config.batch,
        seed,
        cells: Some(cells),
        ..CppnConfig::default()
    };
    let mut s = CppnSearch::new(gpu, net, cppn)?;
    let first = s.archive_pixels()?;
    let stop = crate::signal::stop();
    while s.generation < config.generations {
        stop.check(|| resume_hint(dir))?;
        s.step(10.min(config.generations - s.generation))?;
    }
    let last = s.archive_pixels()?;
    // this run's share of the images still wanted from DNN_k's runs
    let wanted = config.added(k);
    let taken = state.images - images_before(config, k);
    let take = wanted.saturating_sub(taken).min(cells * IMAGES_PER_CELL);
    let n = arch.input_len();
    let (from_first, from_last) = (take / 2, take - take / 2);
    let picks = (0..from_first)
        .map(|c| &first[c * n..(c + 1) * n])
        .chain((0..from_last).map(|c| &last[c * n..(c + 1) * n]));
    for px in picks {
        crate::report::png::save_grey_png(
            &png_path(dir, state.images),
            px,
            arch.input[2],
            arch.input[1],
        )?;
        state.images += 1;
    }
    let s_conf = Stats::of(&s.conf_host);
    state.run_confs.extend(&s.conf_host);
    state.runs_done += 1;
    state.save(dir)?;
    log(&format!(
        "DNN_{k}: run {}/{runs} (seed {seed}): median champion {:.6}, {} of {cells} >= 0.9999; {} fooling images so far",
        i + 1,
        s_conf.median,
        s_conf.n_ge_09999,
        state.images
    ));
    Ok(s.net)
}

/// Trains DNN_{k+1} from scratch on `data`'s training images plus every fooling image so far
/// as one more class, saves it, and returns the state that evolves against it.
fn train_next(
    gpu: &Gpu,
    dir: &Path,
    config: &RetrainConfig,
    extended: &crate::nn::Arch,
    (train, held): (&Dataset, &Dataset),
    state: RetrainState,
    log: &mut dyn FnMut(&str),
) -> Result<RetrainState> {
    let (k, cells) = (state.network, extended.num_classes() - 1);
    let data = with_fooling_class(train, dir, state.images, cells as u8)?;
    let tc = TrainConfig {
        iterations: config.iterations,
        seed: config.seed as u64 + k as u64,
        augment: config.augment,
        ..TrainConfig::default()
    };
    let init = Weights::random(extended, tc.seed)?;
    let mut trainer = Trainer::new(gpu, Network::new(gpu, extended.clone(), &init)?, &data, tc)?;
    let stop = crate::signal::stop();
    while trainer.iteration < config.iterations {
        stop.check(|| resume_hint(dir))?;
        trainer.step(100.min(config.iterations - trainer.iteration))?;
        trainer.loss()?; // waits for the device, so a stop request is honoured within 100
    }
    let loss = trainer.loss()?;
    let acc = accuracy(gpu, &trainer.net, held)?;
    let path = dir
        .join("networks")
        .join(format!("dnn-{}.safetensors", k + 1));
    trainer.weights()?.save(&path)?;
    log(&format!(
        "DNN_{}: trained on {} images of {} and {} fooling images, {} iterations: loss {loss:.4}, held-out accuracy {:.2}%",
        k + 1,
        train.len(),
        config.data.display(),
        state.images,
        config.iterations,
        acc * 100.0
    ));
    let next = RetrainState {
        network: k + 1,
        accuracy: acc,
        trained_with: state.images,
        runs_done: 0,
        run_confs: Vec::new(),
        images: state.images,
        rows: state.rows,
    };
    next.save(dir)?;
    Ok(next)
}
