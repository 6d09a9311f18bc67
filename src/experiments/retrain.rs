//! Retraining with a fooling class (docs/paper.md §7), for grey networks: DNN_1 → CPPN runs
//! against it → their images (half from the first generation, half from the last) become an
//! extra class → DNN_2 trained from scratch on the digits plus that class → CPPN runs against
//! DNN_2 on the original classes' cells → … for `rounds` retrainings.
//!
//! A study directory holds `retrain.toml` (the settings), `state.json` (written atomically
//! after every run and every training, so an interrupted study resumes where it stopped),
//! `fooling/` (the fooling class's PNGs), `networks/dnn-K.safetensors` and `retrain.csv`
//! (a row per network).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::evo::{CppnConfig, CppnSearch};
use crate::gpu::Gpu;
use crate::io::write_atomic;
use crate::nn::{accuracy, Network, TrainConfig, Trainer, Weights};
use crate::stats::Stats;
use std::path::{Path, PathBuf};

/// Images a CPPN run contributes per cell: one from its first generation, one from its last.
pub const IMAGES_PER_CELL: usize = 2;

/// The settings of a retraining study (`retrain.toml`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainConfig {
    pub net: String,
    /// DNN_1's weights.
    pub weights: PathBuf,
    pub weights_sha256: String,
    /// The training data (IDX directory): the retrained networks learn it plus the fooling class.
    pub data: PathBuf,
    /// Retrainings: networks DNN_2 … DNN_{rounds+1}.
    pub rounds: usize,
    /// Fooling images added in the first round (the paper: as many as an average class);
    /// each later round adds a sixth of that.
    pub class_size: usize,
    /// Generations of each CPPN run.
    pub generations: u32,
    /// Children per generation of each run.
    pub batch: usize,
    /// SGD iterations of each retraining (Caffe's LeNet recipe otherwise).
    pub iterations: usize,
    /// The retrainings' random warps of their training images (`fooling train --augment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<crate::kernels::Augment>,
    pub seed: u32,
    /// The command line that started the study, when it was recorded, followed by each
    /// `--resume DIR --rounds R` that extended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub fooling_version: String,
    /// The sha256 of every setting that shapes the study (all but `rounds`, which `--resume
    /// DIR --rounds R` may change, the command line and the version): a file edited by hand
    /// is refused, not run as if the study had been made with it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seal: String,
}

impl RetrainConfig {
    /// The seal of these settings ([`RetrainConfig::seal`]).
    fn sealed(&self) -> String {
        use sha2::Digest;
        let shape = RetrainConfig {
            rounds: 0,
            command: None,
            fooling_version: String::new(),
            seal: String::new(),
            ..self.clone()
        };
        let text = toml::to_string(&shape).unwrap_or_default();
        format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
    }

    /// Fooling images added after evolving against DNN_k (none after the last network).
    pub fn added(&self, k: usize) -> usize {
        match k {
            1 => self.class_size,
            k if k <= self.rounds => (self.class_size / 6).max(1),
            _ => 0,
        }
    }

    /// CPPN runs against DNN_k: enough for its images, and as many as a later round's for
    /// the last network, which is only measured.
    pub fn runs(&self, k: usize, cells: usize) -> usize {
        let per_run = cells * IMAGES_PER_CELL;
        let images = if k > self.rounds {
            (self.class_size / 6).max(1)
        } else {
            self.added(k)
        };
        images.div_ceil(per_run).max(1)
    }
}

/// One network of the study.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoundRow {
    /// k of DNN_k.
    pub network: usize,
    /// Fooling-class images it was trained with (0 for DNN_1).
    pub fooling_images: usize,
    /// Its accuracy on the held-out digits (the extra class counts as wrong).
    pub held_out_accuracy: f64,
    pub runs: usize,
    /// Champions over all runs against it (cells × runs).
    pub champions: usize,
    pub median: f64,
    pub n_ge_099: usize,
    pub n_ge_09999: usize,
}

/// The header of `retrain.csv`.
pub const RETRAIN_HEADER: &str =
    "network,fooling_images,held_out_accuracy,runs,champions,median,n_ge_0.99,n_ge_0.9999";

/// Where a study stands (`state.json`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainState {
    /// The network being evolved against (1-based).
    pub network: usize,
    /// Its held-out accuracy.
    pub accuracy: f64,
    /// Fooling-class images it was trained with.
    pub trained_with: usize,
    /// Runs done against it, and their champions' confidences.
    pub runs_done: usize,
    pub run_confs: Vec<f32>,
    /// Fooling images collected so far (`fooling/00000.png` …).
    pub images: usize,
    /// Finished networks.
    pub rows: Vec<RoundRow>,
}

impl RetrainState {
    pub fn load(dir: &Path) -> Result<RetrainState> {
        let path = dir.join("state.json");
        let text = crate::io::read::read_own(&path, crate::io::read::TEXT)?;
        serde_json::from_slice(&text).map_err(|e| Error::Data {
            path,
            message: format!("not a retraining state: {e}"),
        })
    }

    fn save(&self, dir: &Path) -> Result<()> {
        write_atomic(
            &dir.join("state.json"),
            &serde_json::to_vec_pretty(self).expect("a state serialises"),
        )
    }

    /// Refuses a state no study of `config` (on `cells` cells) can be in, naming `path`.
    fn check(&self, config: &RetrainConfig, cells: usize, path: &Path) -> Result<()> {
        let bad = |message: String| Error::Data {
            path: path.into(),
            message,
        };
        if !(1..=config.rounds + 1).contains(&self.network) {
            return Err(bad(format!(
                "network {} is not one of DNN_1 … DNN_{}",
                self.network,
                config.rounds + 1
            )));
        }
        if self.runs_done > config.runs(self.network, cells) || self.rows.len() > config.rounds + 1
        {
            return Err(bad("more runs or networks than the study has".into()));
        }
        if let Some(c) = self.run_confs.iter().find(|c| !(0.0..=1.0).contains(*c)) {
            return Err(bad(format!(
                "a champion's confidence {c} is not a probability"
            )));
        }
        Ok(())
    }

    /// Whether every network has been measured.
    pub fn done(&self, config: &RetrainConfig) -> bool {
        self.rows.len() > config.rounds
    }
}

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
        return Err(Error::Option {
            option: "--net".into(),
            message: format!("retraining needs a grey network; {} is not", arch.name),
        });
    }
    let (train, held) = crate::data::load_dir(&config.data)?;
    let cells = arch.num_classes();
    std::fs::create_dir_all(dir.join("fooling")).map_err(|e| Error::io(dir, e))?;
    std::fs::create_dir_all(dir.join("networks")).map_err(|e| Error::io(dir, e))?;
    config.check(cells)?;
    // a state.json that cannot be read, or is missing while the study holds work, is an
    // error, never a fresh start over the study
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
    let mut state = if state_path.exists() {
        let state = RetrainState::load(dir)?;
        state.check(config, cells, &dir.join("state.json"))?;
        state
    } else {
        let net = Network::new(gpu, arch.clone(), weights)?;
        let s = RetrainState {
            network: 1,
            accuracy: accuracy(gpu, &net, &held)?,
            ..RetrainState::default()
        };
        s.save(dir)?;
        s
    };
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

/// What a stopped study keeps, and how it goes on.
fn resume_hint(dir: &Path) -> String {
    format!(
        "the study keeps every finished run and training; continue with `fooling retrain --resume {}`",
        dir.display()
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

fn write_csv(dir: &Path, rows: &[RoundRow]) -> Result<()> {
    let mut csv = format!("{RETRAIN_HEADER}\n");
    for r in rows {
        csv.push_str(&format!(
            "{},{},{:.4},{},{},{:.6},{},{}\n",
            r.network,
            r.fooling_images,
            r.held_out_accuracy,
            r.runs,
            r.champions,
            r.median,
            r.n_ge_099,
            r.n_ge_09999
        ));
    }
    write_atomic(&dir.join("retrain.csv"), csv.as_bytes())
}

/// What a user gives for a new study (`fooling retrain`'s options).
#[derive(Clone, Debug)]
pub struct RetrainSettings {
    pub net: String,
    /// `None`: the shipped weights for `net`.
    pub weights: Option<PathBuf>,
    pub data: PathBuf,
    /// [default: 15]
    pub rounds: Option<usize>,
    /// [default: as many as an average class of `data`]
    pub class_size: Option<usize>,
    pub generations: u32,
    pub batch: usize,
    pub iterations: usize,
    /// Warps of the training images ([`crate::kernels::Augment`]); `None`: Caffe's recipe alone.
    pub augment: Option<crate::kernels::Augment>,
    pub seed: u32,
    /// The command line that asks for the study, recorded in its `retrain.toml`.
    pub command: Option<String>,
}

impl RetrainSettings {
    /// `fooling retrain`'s defaults (the paper's sizes).
    pub fn new(net: &str) -> RetrainSettings {
        RetrainSettings {
            net: net.into(),
            weights: None,
            data: PathBuf::from("data/mnist-10k"),
            rounds: None,
            class_size: None,
            generations: 200,
            batch: 200,
            iterations: 10_000,
            augment: None,
            seed: 0,
            command: None,
        }
    }
}

impl RetrainConfig {
    /// The settings of a new study in `dir` (which must not hold one), checked, with the
    /// defaults filled in; the directory is created.
    pub fn create(dir: &Path, s: &RetrainSettings) -> Result<RetrainConfig> {
        crate::nn::load::builtin_only(&s.net, "retrain")?;
        if dir.join("retrain.toml").exists() {
            return Err(Error::Option {
                option: format!("--out {}", dir.display()),
                message: format!(
                    "holds a study already; continue it with --resume {}",
                    dir.display()
                ),
            });
        }
        crate::io::check_new_dir("--out", dir)?;
        if s.class_size == Some(0) {
            return Err(Error::setting("class_size", "must be at least 1"));
        }
        let weights = match &s.weights {
            Some(p) => p.clone(),
            None => crate::nn::shipped_weights(&s.net)?,
        };
        let class_size = match s.class_size {
            Some(n) => n,
            None => {
                let (train, _) = crate::data::load_dir(&s.data)?;
                train.len() / crate::nn::by_name(&s.net)?.num_classes()
            }
        };
        let config = RetrainConfig {
            net: s.net.clone(),
            weights_sha256: crate::io::sha256_file(&weights)?,
            weights: crate::io::absolute(&weights),
            data: crate::io::absolute(&s.data),
            rounds: s.rounds.unwrap_or(15),
            class_size,
            generations: s.generations,
            batch: s.batch,
            iterations: s.iterations,
            augment: s.augment,
            seed: s.seed,
            command: s.command.clone(),
            fooling_version: env!("CARGO_PKG_VERSION").into(),
            seal: String::new(),
        };
        config.check(crate::nn::by_name(&config.net)?.num_classes())?;
        let config = RetrainConfig {
            seal: config.sealed(),
            ..config
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(config)
    }

    /// The settings of the study in `dir`, with `rounds` (when given) extending it; its
    /// first network's weights must be the ones it started with.
    pub fn resume(dir: &Path, rounds: Option<usize>) -> Result<RetrainConfig> {
        let mut config = RetrainConfig::load(dir)?;
        if let Some(r) = rounds.filter(|&r| r != config.rounds) {
            // the recorded command line stays one that makes the study as it now is
            config.command = config.command.map(|c| {
                format!(
                    "{c} && fooling retrain --resume {} --rounds {r}",
                    dir.display()
                )
            });
            config.rounds = r;
        }
        let file = dir.join("retrain.toml");
        config
            .check(crate::nn::by_name(&config.net)?.num_classes())
            .map_err(|e| e.in_file(&file))?;
        let config = config.check_seal(&file)?;
        if crate::io::sha256_file(&config.weights)? != config.weights_sha256 {
            return Err(Error::Option {
                option: format!("--resume {}", dir.display()),
                message: format!(
                    "the weights {} changed since the study started (sha256 differs)",
                    config.weights.display()
                ),
            });
        }
        Ok(config)
    }

    /// Refuses warps the kernel would refuse, and a study whose runs' seeds would not fit 32
    /// bits or would collide: run `i` against DNN_k is seeded `seed + 100,000 k + i`.
    pub fn check(&self, cells: usize) -> Result<()> {
        for (v, key) in [
            (self.batch, "batch"),
            (self.iterations, "iterations"),
            (self.generations as usize, "generations"),
            (self.class_size, "class_size"),
        ] {
            if v == 0 {
                return Err(Error::setting(key, "must be at least 1"));
            }
        }
        if let Some(a) = &self.augment {
            a.validate()?;
        }
        let most = (1..=self.rounds + 1)
            .map(|k| self.runs(k, cells))
            .max()
            .unwrap_or(1);
        if most >= 100_000 {
            return Err(Error::setting(
                "class_size",
                format!("needs {most} runs against one network; at most 99,999"),
            ));
        }
        let last = self.seed as u64 + (self.rounds as u64 + 1) * 100_000 + most as u64;
        if last > u32::MAX as u64 {
            return Err(Error::setting(
                "seed",
                format!(
                    "{} with {} rounds seeds runs up to {last}, past 32 bits",
                    self.seed, self.rounds
                ),
            ));
        }
        Ok(())
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::io::save_toml(&dir.join("retrain.toml"), self)
    }

    pub fn load(dir: &Path) -> Result<RetrainConfig> {
        crate::io::load_toml(&dir.join("retrain.toml"), "a retraining study")
    }

    /// Refuses settings that no longer match their seal (`path`: the file they came from); a
    /// study of an earlier version, which has none, is sealed as it is.
    fn check_seal(self, path: &Path) -> Result<RetrainConfig> {
        let seal = self.sealed();
        if self.seal.is_empty() {
            return Ok(RetrainConfig { seal, ..self });
        }
        if self.seal != seal {
            return Err(Error::Data {
                path: path.into(),
                message: "its settings were changed since the study started (they no longer match their seal); only the rounds may change, with `fooling retrain --resume DIR --rounds R`".into(),
            });
        }
        Ok(self)
    }
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
