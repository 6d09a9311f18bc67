//! Retraining with a fooling class (PAPER.md section 7), for grey networks: DNN_1 → CPPN runs
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
use crate::nn::{accuracy, Arch, Network, TrainConfig, Trainer, Weights};
use crate::stats::Stats;
use std::path::{Path, PathBuf};

/// Images a CPPN run contributes per cell: one from its first generation, one from its last.
pub const IMAGES_PER_CELL: usize = 2;

/// The settings of a retraining study (`retrain.toml`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    pub seed: u32,
    pub fooling_version: String,
}

impl RetrainConfig {
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
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
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

    /// Whether every network has been measured.
    pub fn done(&self, config: &RetrainConfig) -> bool {
        self.rows.len() > config.rounds
    }
}

fn png_path(dir: &Path, i: usize) -> PathBuf {
    dir.join("fooling").join(format!("{i:05}.png"))
}

/// Runs (or continues) the study in `dir` with `config` on `gpu`, from DNN_1 = `arch`
/// with `weights`; `log` receives a line per run and per training.
pub fn run(
    gpu: &Gpu,
    dir: &Path,
    config: &RetrainConfig,
    arch: &Arch,
    weights: &Weights,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<RoundRow>> {
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
    let mut state = match RetrainState::load(dir) {
        Ok(s) => s,
        Err(_) => {
            let net = Network::new(gpu, arch.clone(), weights)?;
            let s = RetrainState {
                network: 1,
                accuracy: accuracy(gpu, &net, &held)?,
                ..RetrainState::default()
            };
            s.save(dir)?;
            s
        }
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
            let mut s = CppnSearch::new(gpu, net.take().expect("the network"), cppn)?;
            let first = s.archive_pixels()?;
            s.step(config.generations)?;
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
                crate::report::save_grey_png(
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
            net = Some(s.net);
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
        let data = with_fooling_class(&train, dir, state.images, cells as u8)?;
        let tc = TrainConfig {
            iterations: config.iterations,
            seed: config.seed as u64 + k as u64,
            ..TrainConfig::default()
        };
        let init = Weights::random(&extended, tc.seed)?;
        let mut trainer =
            Trainer::new(gpu, Network::new(gpu, extended.clone(), &init)?, &data, tc)?;
        trainer.step(config.iterations)?;
        let loss = trainer.loss()?;
        let acc = accuracy(gpu, &trainer.net, &held)?;
        let path = dir
            .join("networks")
            .join(format!("dnn-{}.safetensors", k + 1));
        trainer.weights()?.save(&path)?;
        log(&format!(
            "DNN_{}: trained on {} digits and {} fooling images, {} iterations: loss {loss:.4}, held-out accuracy {:.2}%",
            k + 1,
            train.len(),
            state.images,
            config.iterations,
            acc * 100.0
        ));
        state = RetrainState {
            network: k + 1,
            accuracy: acc,
            trained_with: state.images,
            runs_done: 0,
            run_confs: Vec::new(),
            images: state.images,
            rows: state.rows,
        };
        state.save(dir)?;
    }
    Ok(state.rows)
}

/// Fooling images collected before DNN_k's runs.
fn images_before(config: &RetrainConfig, k: usize) -> usize {
    (1..k).map(|j| config.added(j)).sum()
}

/// `train` plus the first `count` fooling PNGs of `dir` labelled `label`.
fn with_fooling_class(train: &Dataset, dir: &Path, count: usize, label: u8) -> Result<Dataset> {
    let mut data = train.clone();
    for i in 0..count {
        data.images.extend(crate::imaging::load::load_grey(
            &png_path(dir, i),
            train.width,
            train.height,
            false,
        )?);
        data.labels.push(label);
    }
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

impl RetrainConfig {
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::io::save_toml(&dir.join("retrain.toml"), self)
    }

    pub fn load(dir: &Path) -> Result<RetrainConfig> {
        crate::io::load_toml(&dir.join("retrain.toml"), "a retraining study")
    }
}
