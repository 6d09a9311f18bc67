//! Fooling images by gradient ascent on the input (docs/paper.md §6): every target class
//! is one item of one batch; each iteration runs the forward pass, the gradient of the
//! target's probability back to the input, and the progress-based step with decay and
//! clipping, all on the device. Only the target probabilities (one float per class and
//! iteration) come back while it runs; the best images come back once, at the end.

use crate::error::{Error, Result};
use crate::evo::rng::uniform01;
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::kernels::{self, AscentState, Step};
use crate::nn::{InputGradient, Network};

mod driver;
mod outputs;

pub use driver::{
    parse_classes, run, AscentObserver, AscentOutcome, AscentProgress, AscentRunFile,
    AscentSettings,
};
pub use outputs::{write_outputs, CHAMPIONS_HEADER};

/// Every parameter of an ascent run. [`Default`] is the paper's.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AscentConfig {
    /// The target classes, one item of the batch each.
    pub classes: Vec<u32>,
    pub iterations: u32,
    /// Each step pulls the image this fraction of the way back to the mean image (the L2
    /// regulariser); 0 switches it off.
    pub decay: f32,
    /// The largest step size.
    pub max_lr: f32,
    /// Seeds the initial noise.
    pub seed: u32,
    /// σ of the Gaussian noise added to the mean image at the start, in pixel units.
    pub noise: f32,
    /// Blur the images every this many iterations (0: never), the supplementary regulariser.
    pub blur_every: u32,
    /// σ of that blur, in pixels.
    pub blur_sigma: f32,
}

impl Default for AscentConfig {
    /// `fooling ascent`'s defaults (declared once, on [`AscentSettings`]), no classes.
    fn default() -> Self {
        let s = AscentSettings::new("lenet");
        AscentConfig {
            classes: Vec::new(),
            iterations: s.iterations,
            decay: s.decay,
            max_lr: s.max_lr,
            seed: s.seed,
            noise: s.noise,
            blur_every: s.blur_every,
            blur_sigma: s.blur_sigma,
        }
    }
}

/// The valid range of an 8-bit pixel: images are clipped to it every step.
pub const PIXEL_RANGE: (f32, f32) = (0.0, 255.0);

/// The initial images: `mean` plus Gaussian noise of σ = `noise` pixels, clipped, one per
/// target class. The noise of class `c` depends only on (seed, c), not on which other
/// classes share the batch.
pub fn initial_images(mean: &[f32], classes: &[u32], seed: u32, noise: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(mean.len() * classes.len());
    for &c in classes {
        for (i, &m) in mean.iter().enumerate() {
            // Box–Muller on two counter-based draws; 1 - u is in (0, 1], so the log is finite
            let u1 = 1.0 - uniform01(seed, 0, c, i as u32, 100) as f64;
            let u2 = uniform01(seed, 0, c, i as u32, 101) as f64;
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            out.push(((m as f64 + noise as f64 * z) as f32).clamp(PIXEL_RANGE.0, PIXEL_RANGE.1));
        }
    }
    out
}

/// A gradient-ascent run on the device.
pub struct Ascent<'g> {
    gpu: &'g Gpu,
    pub net: &'g Network,
    pub config: AscentConfig,
    plan: InputGradient,
    _mean: GpuBuffer<f32>,
    _image: GpuBuffer<f32>,
    best: GpuBuffer<f32>,
    state: GpuBuffer<AscentState>,
    history: GpuBuffer<f32>,
    _scratch: Option<GpuBuffer<f32>>,
    step: Dispatch,
    blur: Option<[Dispatch; 2]>,
    iteration: u32,
}

impl<'g> Ascent<'g> {
    /// Uploads the initial images (see [`initial_images`]) for `config.classes` around the
    /// mean image `mean` (`(c, h, w)`, pixel units) and builds every dispatch.
    pub fn new(
        gpu: &'g Gpu,
        net: &'g Network,
        mean: &[f32],
        config: AscentConfig,
    ) -> Result<Ascent<'g>> {
        let arch = &net.arch;
        let n = arch.input_len();
        let classes = arch.num_classes();
        kernels::check_len("ascent", "mean image", mean.len(), n)?;
        check(&config, classes, &arch.name)?;
        let batch = config.classes.len();
        // more classes than one forward chunk holds are refused here, as --classes
        let plan = net.input_gradient_plan(gpu, batch).map_err(|e| match e {
            Error::Invalid { message, .. } => Error::setting("classes", message),
            e => e,
        })?;
        let Start {
            mean_rows,
            images,
            input,
        } = Start::new(arch, mean, &config)?;
        let mean_buf = GpuBuffer::from_slice(gpu, "mean image", &mean_rows)?;
        plan.forward.input.write(gpu, 0, &input);
        plan.target.write(gpu, 0, &config.classes);
        let image = GpuBuffer::from_slice(gpu, "ascent images", &images)?;
        let best = GpuBuffer::from_slice(gpu, "best images", &images)?;
        let state = GpuBuffer::from_slice(gpu, "ascent state", &vec![AscentState::START; batch])?;
        let history = GpuBuffer::<f32>::zeros(
            gpu,
            "probability history",
            config.iterations as usize * batch,
        )?;
        history.fill(gpu, f32::NAN);
        let step = kernels::ascent_step(
            gpu,
            n,
            &Step {
                decay: config.decay,
                max_lr: config.max_lr,
                lo: PIXEL_RANGE.0,
                hi: PIXEL_RANGE.1,
            },
            plan.grad.view(),
            plan.prob.view(),
            mean_buf.view(),
            image.view(),
            plan.forward.input.view(),
            best.view(),
            state.view(),
            history.view(),
        )?;
        let (scratch, blur) = if config.blur_every > 0 {
            let scratch = GpuBuffer::<f32>::zeros(gpu, "blur scratch", batch * n)?;
            let (img, tmp, mean) = (image.view(), scratch.view(), mean_buf.view());
            let input = plan.forward.input.view();
            let blur = kernels::blur(gpu, arch.input, config.blur_sigma, img, tmp, mean, input)?;
            (Some(scratch), Some(blur))
        } else {
            (None, None)
        };
        Ok(Ascent {
            gpu,
            net,
            config,
            plan,
            _mean: mean_buf,
            _image: image,
            best,
            state,
            history,
            _scratch: scratch,
            step,
            blur,
            iteration: 0,
        })
    }

    /// Iterations done.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// Runs the next `n` iterations (at most those left) in one submission, and waits.
    pub fn step(&mut self, n: u32) -> Result<()> {
        let n = n.min(self.config.iterations - self.iteration);
        let first = self.iteration;
        self.gpu.submit("ascent", |pass| {
            for k in 1..=n {
                self.plan.record(pass);
                self.step.record(pass);
                if let Some(blur) = &self.blur {
                    if (first + k).is_multiple_of(self.config.blur_every) {
                        blur[0].record(pass);
                        blur[1].record(pass);
                    }
                }
            }
        });
        self.iteration += n;
        self.gpu.wait()
    }

    /// The target probabilities of iterations `from..to`, `(to − from, classes)`.
    pub fn history(&self, from: u32, to: u32) -> Result<Vec<f32>> {
        let b = self.config.classes.len();
        self.history
            .read_range(self.gpu, from as usize * b, (to - from) as usize * b)
    }

    /// Per class: the best probability, the iteration that reached it, iterations done.
    pub fn states(&self) -> Result<Vec<AscentState>> {
        self.state.read(self.gpu)
    }

    /// The best image of each class, `(classes, c, h, w)` in pixel units.
    pub fn best_images(&self) -> Result<Vec<f32>> {
        self.best.read(self.gpu)
    }
}

/// Where an ascent starts: the mean image with the network's own input offset and scale
/// (per value: `input = (pixel − offset) · scale`) as further rows, the initial images (pixel
/// units) and the network's input from them.
struct Start {
    mean_rows: Vec<f32>,
    images: Vec<f32>,
    input: Vec<f32>,
}

impl Start {
    fn new(arch: &crate::nn::Arch, mean: &[f32], config: &AscentConfig) -> Result<Start> {
        let n = arch.input_len();
        let [c, h, w] = arch.input;
        let plane = h * w;
        // row 0: the mean image; rows 1 and 2: the network's input offset and scale per value
        let mut mean_rows = mean.to_vec();
        mean_rows.extend((0..c * plane).map(|i| arch.pixels.mean[i / plane]));
        mean_rows.extend((0..c * plane).map(|i| 1.0 / arch.pixels.std[i / plane]));
        let images = initial_images(mean, &config.classes, config.seed, config.noise);
        let input = images
            .iter()
            .enumerate()
            .map(|(i, &v)| arch.pixels.value((i % n) / plane, v))
            .collect();
        Ok(Start {
            mean_rows,
            images,
            input,
        })
    }
}

/// The first iteration whose probability exceeds `threshold`, from a `(iterations, classes)`
/// history, for item `item`.
pub fn first_above(history: &[f32], classes: usize, item: usize, threshold: f32) -> Option<u32> {
    history
        .chunks(classes)
        .position(|row| row[item] > threshold)
        .map(|i| i as u32)
}

/// Refuses settings an ascent cannot run with, naming the option.
fn check(config: &AscentConfig, classes: usize, net: &str) -> Result<()> {
    let bad = |key: &'static str, message: String| Error::setting(key, message);
    if config.classes.is_empty() {
        return Err(bad("classes", "names no class".into()));
    }
    if let Some(&c) = config.classes.iter().find(|&&c| c as usize >= classes) {
        return Err(bad(
            "classes",
            format!("class {c} is not one of {net}'s {classes} classes"),
        ));
    }
    if config.iterations == 0 {
        return Err(bad("iterations", "must be at least 1".into()));
    }
    if !(0.0..1.0).contains(&config.decay) {
        return Err(bad(
            "decay",
            format!("must be in [0, 1), not {}", config.decay),
        ));
    }
    if config.max_lr.is_nan() || config.max_lr <= 0.0 {
        return Err(bad(
            "max_lr",
            format!("must be positive, not {}", config.max_lr),
        ));
    }
    if !(config.blur_sigma > 0.0 && config.blur_sigma.is_finite()) {
        return Err(bad(
            "blur_sigma",
            format!("must be positive, not {}", config.blur_sigma),
        ));
    }
    if config.noise.is_nan() || config.noise < 0.0 {
        return Err(bad(
            "noise",
            format!("must not be negative, not {}", config.noise),
        ));
    }
    Ok(())
}
