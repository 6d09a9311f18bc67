//! Ablation of a run's champions (docs/paper.md §8, R9: removing repeated elements of a CPPN image
//! lowers its confidence), written to `ablate.csv` in the run with a heatmap PNG and the
//! ablated images beside each champion.
//!
//! For every champion of an evolution, ascent or merged run, scored on the run's own network
//! (its weights checked against the sha256 the run recorded):
//! - an occlusion map: the champion's confidence with each `patch × patch` square (`stride`
//!   apart) painted in the image's background colour (its per-channel median), kept as
//!   `<champion>.occlusion.png` (red where covering the square lowers the confidence, blue
//!   where it raises it, by the mean over the squares covering each pixel, scaled to the
//!   image's largest) and summarised by the lowest confidence and the square that gives it;
//! - for CPPN champions, the repetition test: the copies of the image's strongest repeated
//!   element ([`crate::imaging::repeats`]), and the confidence with one copy, half of them
//!   and all but one removed, each image kept as `<champion>.<removal>.png`, so that
//!   `fooling classify` re-scores it at the confidence recorded.
//!
//! Every variant of every champion is scored in device batches of many images (the
//! network's forward pass over all of them); the variants are made on the host, where the
//! image files are.

mod csv;

use super::{run_network, RunNetwork};
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::imaging::load::{load_planes, planes_input, Planes};
use crate::imaging::repeats::{self, Removal};
use crate::nn::{self, Network};
use crate::rundir::champions::{read as read_champions, Champion};
use csv::write_ablate;
pub use csv::{read_ablate, AblateLine, ABLATE_HEADER};
use std::path::{Path, PathBuf};

/// What a user gives for an ablation: `fooling ablate`'s options, declared here once (the
/// command line flattens them; each doc line is its `--help`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct AblateSettings {
    /// The run (evolution, ascent or merged) whose champions to ablate, on its own network.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The occluded square's side in pixels [default: a seventh of the image's side].
    #[arg(long, value_name = "K")]
    pub patch: Option<usize>,
    /// Pixels between occluded squares [default: half the patch].
    #[arg(long, value_name = "S")]
    pub stride: Option<usize>,
    /// Replace an existing DIR/ablate.csv and the images it names.
    #[arg(long)]
    pub force: bool,
}

/// The repetition test of one champion.
#[derive(Clone, Debug, PartialEq)]
pub struct RepetitionTest {
    /// Copies of its strongest repeated element (0 or 1: none found, and no images).
    pub copies: usize,
    /// From one copy to the next, `(dy, dx)` pixels.
    pub period: (i32, i32),
    /// The confidence with one copy, half of them and all but one removed
    /// ([`Removal::ALL`]'s order).
    pub confidence: [f32; 3],
    /// Those images, relative to the run directory.
    pub images: [String; 3],
}

/// One champion ablated.
#[derive(Clone, Debug, PartialEq)]
pub struct Ablated {
    pub champion: Champion,
    /// Its confidence now, on the run's network (the recorded one, up to the PNG's rounding
    /// for colour runs).
    pub confidence: f32,
    /// The lowest confidence with one square occluded, and that square's top-left corner.
    pub occlusion_min: f32,
    pub worst: (usize, usize),
    /// The mean over the squares of the confidence's drop.
    pub occlusion_mean_drop: f32,
    /// The heatmap, relative to the run directory.
    pub heatmap: String,
    /// CPPN champions only.
    pub repetition: Option<RepetitionTest>,
}

/// Counts of an ablation for R9.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub champions: usize,
    /// Champions the repetition test ran on (those of CPPN runs).
    pub tested: usize,
    /// Of them, those with at least two copies.
    pub repeating: usize,
    /// Of those, the ones whose confidence is lower with all copies but one removed.
    pub falls: usize,
    /// ... and lower at each step: one removed ≤ the champion, half ≤ one, all but one ≤
    /// half, the last strictly below the champion.
    pub steady: usize,
}

impl Tally {
    pub fn of(rows: &[Ablated]) -> Tally {
        let mut t = Tally {
            champions: rows.len(),
            ..Tally::default()
        };
        for r in rows {
            let Some(rep) = &r.repetition else { continue };
            t.tested += 1;
            if rep.copies < 2 {
                continue;
            }
            t.repeating += 1;
            let [one, half, rest] = rep.confidence;
            if rest < r.confidence {
                t.falls += 1;
                if one <= r.confidence && half <= one && rest <= half {
                    t.steady += 1;
                }
            }
        }
        t
    }
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, u: Tally) {
        self.champions += u.champions;
        self.tested += u.tested;
        self.repeating += u.repeating;
        self.falls += u.falls;
        self.steady += u.steady;
    }
}

/// The largest drop of a champion's confidence with one square occluded.
pub fn largest_drop(rows: &[Ablated]) -> f32 {
    rows.iter()
        .map(|r| r.confidence - r.occlusion_min)
        .fold(0f32, f32::max)
}

/// Of the champions with repeated elements: their confidences, and with all copies but one
/// removed.
pub fn before_after(rows: &[Ablated]) -> (Vec<f64>, Vec<f64>) {
    rows.iter()
        .filter_map(|r| {
            let t = r.repetition.as_ref().filter(|t| t.copies >= 2)?;
            Some((r.confidence as f64, t.confidence[2] as f64))
        })
        .unzip()
}

/// What an ablation wrote.
#[derive(Clone, Debug)]
pub struct AblateOutcome {
    pub path: PathBuf,
    pub patch: usize,
    pub stride: usize,
    pub rows: Vec<Ablated>,
    pub tally: Tally,
}

/// The images of every champion's variants, scored on the device in batches of at most
/// `budget` network inputs: each variant's confidence for its champion's class.
struct Scorer<'a> {
    gpu: &'a Gpu,
    net: &'a Network,
    crops: usize,
    budget: usize,
    input: Vec<f32>,
    /// (champion, class) of each pending variant.
    owners: Vec<(usize, usize)>,
    scores: Vec<Vec<f32>>,
}

impl Scorer<'_> {
    fn push(&mut self, champion: usize, class: usize, input: Vec<f32>) -> Result<()> {
        self.input.extend(input);
        self.owners.push((champion, class));
        if self.owners.len() * self.crops >= self.budget {
            self.flush()?;
        }
        Ok(())
    }

    /// Scores the pending variants; then, as after every batch, a signal stops the ablation
    /// (a 1000-class run takes minutes on a GPU, a 10-class one seconds on a CPU adapter).
    fn flush(&mut self) -> Result<()> {
        if self.owners.is_empty() {
            return stopped();
        }
        let probs = self.net.classify_crops(self.gpu, &self.input, self.crops)?;
        for ((champion, class), p) in self.owners.drain(..).zip(probs) {
            if self.scores.len() <= champion {
                self.scores.resize(champion + 1, Vec::new());
            }
            self.scores[champion].push(p[class]);
        }
        self.input.clear();
        stopped()
    }
}

/// `Err(Stopped)` when a signal asked the ablation to stop.
fn stopped() -> Result<()> {
    crate::signal::stop()
        .check(|| "ablate.csv was not written; run `fooling ablate` again to start over".into())
}

/// `path` with `suffix` in place of its extension: `archive/0003_3.png` →
/// `archive/0003_3.<suffix>.png`.
fn beside(image: &str, suffix: &str) -> String {
    let stem = image.strip_suffix(".png").unwrap_or(image);
    format!("{stem}.{suffix}.png")
}

/// The occlusion heatmap of an `h × w` image as RGB pixels: each pixel coloured by the mean
/// drop of the squares that cover it, scaled to the image's largest (red for a drop, blue
/// for a rise, white for none; `ablate.csv` holds the confidences themselves).
fn heatmap(h: usize, w: usize, patches: &[(usize, usize)], k: usize, drops: &[f32]) -> Vec<u8> {
    let mut sum = vec![0f64; h * w];
    let mut n = vec![0u32; h * w];
    for (&(y, x), &d) in patches.iter().zip(drops) {
        for yy in y..(y + k).min(h) {
            for xx in x..(x + k).min(w) {
                sum[yy * w + xx] += d as f64;
                n[yy * w + xx] += 1;
            }
        }
    }
    let mean: Vec<f64> = sum
        .iter()
        .zip(n)
        .map(|(s, n)| s / n.max(1) as f64)
        .collect();
    let most = mean.iter().fold(0f64, |m, d| m.max(d.abs()));
    let mut rgb = Vec::with_capacity(3 * h * w);
    for d in mean {
        let d = if most > 0.0 { d / most } else { 0.0 };
        let fade = (255.0 * (1.0 - d.abs())).round() as u8;
        rgb.extend(if d >= 0.0 {
            [255, fade, fade]
        } else {
            [fade, fade, 255]
        });
    }
    rgb
}

/// Ablates the champions of the run `s.run` and writes `ablate.csv`, the heatmaps and the
/// ablated images.
pub fn run(gpu: &Gpu, s: &AblateSettings) -> Result<AblateOutcome> {
    let dir = &s.run;
    let path = dir.join("ablate.csv");
    crate::io::check_output("run", &path, None, s.force)?;
    let RunNetwork {
        loaded,
        crops,
        cppn,
    } = run_network(dir)?;
    // a run still being written (an evolution in progress) is refused by its lock, before
    // its champions are looked for
    let _lock = crate::io::lock_dir(dir)?;
    let champions = read_champions(dir)?;
    let arch = loaded.arch.clone();
    let images = champion_images(dir, &arch, &champions, crops)?;
    let (h, w) = (images[0].h, images[0].w);
    let (patch, stride) = squares(s, h.min(w))?;
    let net = Network::new(gpu, arch.clone(), &loaded.weights)?;
    // about 8 MiB of network input per device batch: a few seconds' work on a CPU adapter,
    // so a signal is honoured within seconds
    let budget = ((8usize << 20) / (4 * arch.input_len())).max(1);
    let mut scorer = Scorer {
        gpu,
        net: &net,
        crops: crops.unwrap_or(1),
        budget,
        input: Vec::new(),
        owners: Vec::new(),
        scores: Vec::new(),
    };
    let mut found = Vec::with_capacity(champions.len());
    for (i, (c, p)) in champions.iter().zip(&images).enumerate() {
        let at = dir.join(&c.image);
        if (p.h, p.w) != (h, w) {
            return Err(Error::Image {
                path: at,
                message: format!(
                    "is {}x{}, the run's first champion {w}x{h}: a run's images share a size",
                    p.w, p.h
                ),
            });
        }
        let bg = repeats::background(p);
        scorer.push(i, c.class, planes_input(&arch, p, crops, &at)?)?;
        for &corner in &repeats::patches(h, w, patch, stride) {
            let occluded = repeats::occlude(p, corner, patch, &bg);
            scorer.push(i, c.class, planes_input(&arch, &occluded, crops, &at)?)?;
        }
        let rep = cppn.then(|| repeats::find(p)).flatten();
        if let Some(r) = &rep {
            for removal in Removal::ALL {
                let ablated = r.remove(p, removal, &bg);
                scorer.push(i, c.class, planes_input(&arch, &ablated, crops, &at)?)?;
                save(dir, &beside(&c.image, removal.name()), &ablated, &arch)?;
            }
        }
        found.push((bg, rep));
    }
    scorer.flush()?;
    let patches = repeats::patches(h, w, patch, stride);
    let rows = champions
        .into_iter()
        .zip(scorer.scores)
        .zip(found)
        .map(|((c, scores), (_, rep))| {
            ablated(dir, c, &scores, rep, (h, w), (&patches, patch), cppn)
        })
        .collect::<Result<Vec<_>>>()?;
    write_ablate(&path, patch, stride, &rows)?;
    Ok(AblateOutcome {
        path,
        patch,
        stride,
        tally: Tally::of(&rows),
        rows,
    })
}

/// The row of champion `c` from its scores (its own, each occluded square's, then with its
/// repeated elements removed each way): the occlusion heatmap written beside its image.
fn ablated(
    dir: &Path,
    c: Champion,
    scores: &[f32],
    rep: Option<repeats::Repeats>,
    (h, w): (usize, usize),
    (patches, patch): (&[(usize, usize)], usize),
    cppn: bool,
) -> Result<Ablated> {
    let confidence = scores[0];
    let occluded = &scores[1..=patches.len()];
    let drops: Vec<f32> = occluded.iter().map(|&o| confidence - o).collect();
    let (worst, &occlusion_min) = occluded
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .expect("at least one square");
    let heat = beside(&c.image, "occlusion");
    crate::report::png::save_png(
        &dir.join(&heat),
        &heatmap(h, w, patches, patch, &drops),
        w,
        h,
    )?;
    let repetition = cppn.then(|| match rep {
        Some(r) => RepetitionTest {
            copies: r.copies.len(),
            period: r.period,
            confidence: [
                scores[1 + patches.len()],
                scores[2 + patches.len()],
                scores[3 + patches.len()],
            ],
            images: Removal::ALL.map(|m| beside(&c.image, m.name())),
        },
        None => RepetitionTest {
            copies: 0,
            period: (0, 0),
            confidence: [f32::NAN; 3],
            images: Default::default(),
        },
    });
    Ok(Ablated {
        occlusion_mean_drop: drops.iter().sum::<f32>() / drops.len() as f32,
        confidence,
        occlusion_min,
        worst: patches[worst],
        heatmap: heat,
        repetition,
        champion: c,
    })
}

/// The champions' images, each checked to be a class of `arch`; at least one.
fn champion_images(
    dir: &Path,
    arch: &nn::Arch,
    champions: &[Champion],
    crops: Option<usize>,
) -> Result<Vec<Planes>> {
    let mut images = Vec::with_capacity(champions.len());
    for c in champions {
        if c.class >= arch.num_classes() {
            return Err(Error::Data {
                path: dir.join("champions.csv"),
                message: format!(
                    "class {} is past the {} classes of {}",
                    c.class,
                    arch.num_classes(),
                    arch.name
                ),
            });
        }
        images.push(load_planes(arch, &c.image_path(dir)?, false, crops)?);
    }
    if images.is_empty() {
        return Err(Error::Data {
            path: dir.join("champions.csv"),
            message: "no champions to ablate".into(),
        });
    }
    Ok(images)
}

/// The occluding square's side and stride of `s` for images whose shorter side is `side`.
fn squares(s: &AblateSettings, side: usize) -> Result<(usize, usize)> {
    let patch = s
        .patch
        .unwrap_or(((side as f64 / 7.0).round() as usize).max(1));
    if patch == 0 || patch > side {
        return Err(Error::setting(
            "patch",
            format!("{patch} pixels: must be 1 to the image's side, {side}"),
        ));
    }
    let stride = s.stride.unwrap_or((patch / 2).max(1));
    if stride == 0 || stride > side {
        return Err(Error::setting(
            "stride",
            format!("{stride} pixels: must be 1 to the image's side, {side}"),
        ));
    }
    Ok((patch, stride))
}

/// Writes `planes` as the PNG `name` in `dir`, as the run saved its champions.
fn save(dir: &Path, name: &str, planes: &Planes, arch: &nn::Arch) -> Result<()> {
    let pixels = crate::report::png::interleave(&planes.pixels, planes.channels, arch.pixels.order);
    crate::report::png::save_png(&dir.join(name), &pixels, planes.w, planes.h)
}
