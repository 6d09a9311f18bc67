//! Genomes on the device, and how they become the network's class probabilities.
//!
//! [`Genomes`] holds `count` genomes in as many buffers as the binding limit needs (an
//! ImageNet archive of 1000 direct genomes is 786 MB; lavapipe binds 128 MiB). [`Fitness`]
//! renders them in waves of at most one forward chunk, runs the network, and writes each
//! genome's confidence vector (the mean over its crops) into one `(count, classes)` buffer.

use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, GpuBuffer};
use crate::imaging::ColorModel;
use crate::kernels::{self, ColorRender};
use crate::nn::{ChannelOrder, Forward, Network};

/// `count` genomes of `genes` f32 each: buffer `k` holds genomes `k · per ..`.
pub struct Genomes {
    pub bufs: Vec<GpuBuffer<f32>>,
    /// Genomes per buffer (the last may hold fewer).
    pub per: usize,
    pub count: usize,
    pub genes: usize,
}

impl Genomes {
    /// Zeroed genomes, in buffers of at most one binding each.
    pub fn zeros(gpu: &Gpu, label: &str, count: usize, genes: usize) -> Result<Genomes> {
        let bytes = genes as u64 * 4;
        let per = (gpu.max_binding() / bytes.max(1)) as usize;
        if per == 0 {
            return Err(Error::LimitExceeded {
                what: format!("one genome of {genes} genes ({label})"),
                limit_name: "max_storage_buffer_binding_size",
                requested: bytes,
                limit: gpu.max_binding(),
            });
        }
        let per = per.min(count.max(1));
        let bufs = (0..count.div_ceil(per))
            .map(|k| GpuBuffer::zeros(gpu, label, (per.min(count - k * per)) * genes))
            .collect::<Result<Vec<_>>>()?;
        Ok(Genomes {
            bufs,
            per,
            count,
            genes,
        })
    }

    /// Each buffer with the index of its first genome and its number of genomes.
    pub fn blocks(&self) -> impl Iterator<Item = (usize, usize, &GpuBuffer<f32>)> {
        self.bufs
            .iter()
            .enumerate()
            .map(|(k, b)| (k * self.per, b.len() / self.genes, b))
    }

    /// Every genome, `(count, genes)` (waits for the device).
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(self.count * self.genes);
        for b in &self.bufs {
            out.extend(b.read(gpu)?);
        }
        Ok(out)
    }

    /// Replaces every genome with `data` `(count, genes)`.
    pub fn write(&self, gpu: &Gpu, data: &[f32]) -> Result<()> {
        kernels::check_len("genomes", "data", data.len(), self.count * self.genes)?;
        for (first, n, b) in self.blocks() {
            b.write(gpu, 0, &data[first * self.genes..(first + n) * self.genes]);
        }
        Ok(())
    }
}

/// How a genome becomes the network's input.
#[derive(Clone, Debug, PartialEq)]
pub enum Imaging {
    /// One gene per pixel of a grey network's input (LeNet: pixel / 256).
    Grey,
    /// Three genes per pixel of a larger colour image, cropped (docs/paper.md §5).
    Color {
        render: ColorRender,
        /// `(3, crop, crop)` in the network's channel order, subtracted after the
        /// per-channel mean (which is zero when this is given).
        mean_image: Option<Vec<f32>>,
    },
}

/// The side of ImageNet genomes (docs/paper.md §3).
pub const IMAGENET_SIZE: usize = 256;

/// The side of colour genomes for a network input's side `side` (its height, or its width):
/// the input plus the margin that 10 crops need, as 256 is to 227 for CaffeNet and to 224
/// for torchvision's networks (`⌈side · 256 / 224⌉`: 37 for 32, 74 for 64, 342 for 299). A
/// network of `h × w` input gets genomes of `color_size(h) × color_size(w)`.
pub fn color_size(side: usize) -> usize {
    if side == 227 {
        IMAGENET_SIZE
    } else {
        (side * IMAGENET_SIZE).div_ceil(224)
    }
}

impl Imaging {
    /// Colour genomes of `size` `(height, width)` for `net`'s colour input: `crops` crops of
    /// the network's input size, its channel order, mean and scale; `mean_image` `(3, h, w)`
    /// in pixel units (its channel order) replaces the per-channel mean.
    pub fn color(
        arch: &crate::nn::Arch,
        model: ColorModel,
        size: [usize; 2],
        crops: usize,
        mean_image: Option<Vec<f32>>,
    ) -> Result<Imaging> {
        let [c, h, w] = arch.input;
        if c != 3 {
            return Err(Error::setting(
                "net",
                format!(
                    "{} takes {c}x{h}x{w} input; colour genomes need a 3-channel network",
                    arch.name
                ),
            ));
        }
        crate::imaging::crops::crops(size, [h, w], crops)?;
        if let Some(m) = &mean_image {
            kernels::check_len("mean image", "values", m.len(), 3 * h * w)?;
        }
        let p = &arch.pixels;
        let mean = if mean_image.is_some() {
            [0.0; 3]
        } else {
            [p.mean[0], p.mean[1], p.mean[2]]
        };
        Ok(Imaging::Color {
            render: ColorRender {
                model,
                size,
                crop: [h, w],
                crops,
                rgb: p.order == ChannelOrder::Rgb,
                mean,
                inv_std: [1.0 / p.std[0], 1.0 / p.std[1], 1.0 / p.std[2]],
            },
            mean_image,
        })
    }

    /// Genes of one genome for `net`.
    pub fn genes(&self, arch: &crate::nn::Arch) -> usize {
        match self {
            Imaging::Grey => arch.input[1] * arch.input[2],
            Imaging::Color { render, .. } => render.genes(),
        }
    }

    /// Forward passes per genome.
    pub fn crops(&self) -> usize {
        match self {
            Imaging::Grey => 1,
            Imaging::Color { render, .. } => render.crops,
        }
    }

    /// `(width, height, channels)` of a genome's picture.
    pub fn picture(&self, arch: &crate::nn::Arch) -> (usize, usize, usize) {
        match self {
            Imaging::Grey => (arch.input[2], arch.input[1], 1),
            Imaging::Color { render, .. } => (render.size[1], render.size[0], 3),
        }
    }

    /// The colour model, for colour genomes.
    pub fn model(&self) -> Option<ColorModel> {
        match self {
            Imaging::Grey => None,
            Imaging::Color { render, .. } => Some(render.model),
        }
    }
}

/// Waves submitted between two looks at the stop request in [`Fitness::run_waves`]: few
/// enough that a stop waits a second or two on a large network, enough that the waits cost
/// little beside the work.
pub const WAVES_PER_WAIT: usize = 8;

/// Genomes to class probabilities: per wave, render (and crop) → forward → crop mean.
pub struct Fitness {
    plan: Forward,
    _mean_image: Option<GpuBuffer<f32>>,
    waves: Vec<[Dispatch; 2]>,
    /// `(count, classes)`: each genome's confidences (the mean over its crops).
    pub probs: GpuBuffer<f32>,
}

impl Fitness {
    /// Refuses the evaluations since the plan was built when the network overflowed in any
    /// of them (see [`Network::check_finite`]). Waits for the device.
    pub fn check_finite(&self, gpu: &Gpu, net: &Network) -> Result<()> {
        net.check_finite(gpu, &self.plan)
    }

    pub fn new(gpu: &Gpu, net: &Network, imaging: &Imaging, genomes: &Genomes) -> Result<Fitness> {
        let arch = &net.arch;
        let (classes, in_len, crops) = (arch.num_classes(), arch.input_len(), imaging.crops());
        kernels::check_len(
            "fitness",
            "genes per genome",
            genomes.genes,
            imaging.genes(arch),
        )?;
        let grey = match imaging {
            Imaging::Grey => arch.grey_pixels()?,
            Imaging::Color { .. } => (0.0, 0.0),
        };
        let wave = (net.max_chunk(gpu)? / crops).clamp(1, genomes.count.max(1));
        let plan = net.forward_plan(gpu, wave * crops)?;
        let probs = GpuBuffer::zeros(gpu, "genome confidences", genomes.count * classes)?;
        let mean_image = match imaging {
            Imaging::Color {
                mean_image: Some(m),
                ..
            } => Some(GpuBuffer::from_slice(gpu, "mean image", m)?),
            _ => None,
        };
        let mut waves = Vec::new();
        for (first, n, buf) in genomes.blocks() {
            for start in (0..n).step_by(wave) {
                let m = wave.min(n - start);
                let x = plan.input.slice(0, m * crops * in_len);
                let prepare = match imaging {
                    Imaging::Grey => {
                        kernels::render_grey(gpu, grey, buf.view(), start * genomes.genes, x)?
                    }
                    Imaging::Color { render, .. } => kernels::render_color_crops(
                        gpu,
                        render,
                        buf.view(),
                        start,
                        mean_image.as_ref().map(|b| b.view()),
                        x,
                    )?,
                };
                let reduce = kernels::crop_mean(
                    gpu,
                    crops,
                    classes,
                    plan.probs.slice(0, m * crops * classes),
                    first + start,
                    probs.view(),
                )?;
                waves.push([prepare, reduce]);
            }
        }
        Ok(Fitness {
            plan,
            _mean_image: mean_image,
            waves,
            probs,
        })
    }

    /// Records every wave.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        for i in 0..self.waves.len() {
            self.record_wave(pass, i);
        }
    }

    /// The waves one evaluation takes (one forward chunk each).
    pub fn waves(&self) -> usize {
        self.waves.len()
    }

    /// Records wave `i` alone: a search that waits between waves can stop inside a
    /// generation.
    pub fn record_wave(&self, pass: &mut wgpu::ComputePass<'_>, i: usize) {
        let [prepare, reduce] = &self.waves[i];
        prepare.record(pass);
        self.plan.record(pass);
        reduce.record(pass);
    }

    /// Submits the waves [`WAVES_PER_WAIT`] at a time, waiting for each group, until `stop`
    /// is requested: true when every wave ran. A generation of many waves (a large network,
    /// 10 crops) is then stopped within one group's time instead of the whole generation's.
    pub fn run_waves(&self, gpu: &Gpu, stop: &crate::signal::Stop) -> Result<bool> {
        for first in (0..self.waves.len()).step_by(WAVES_PER_WAIT) {
            if stop.requested() {
                return Ok(false);
            }
            let end = (first + WAVES_PER_WAIT).min(self.waves.len());
            gpu.submit("fitness waves", |pass| {
                for i in first..end {
                    self.record_wave(pass, i);
                }
            });
            gpu.wait()?;
        }
        Ok(!stop.requested())
    }
}

/// 8-bit pictures of colour genomes `(count, 3, h, w)` (`size` = `(h, w)`) rendered on the
/// device through `model`, as RGB interleaved `h × w × 3` per genome (waits for the device).
pub fn color_pictures(
    gpu: &Gpu,
    model: ColorModel,
    size: [usize; 2],
    genomes: &Genomes,
) -> Result<Vec<u8>> {
    let plane = size[0] * size[1];
    let mut out = Vec::with_capacity(genomes.count * 3 * plane);
    for (_, n, buf) in genomes.blocks() {
        let bgr = GpuBuffer::<f32>::zeros(gpu, "pictures", n * 3 * plane)?;
        let d = kernels::render_color(gpu, model, n, size, buf.view(), bgr.view())?;
        gpu.run(&[&d])?;
        let v = bgr.read(gpu)?;
        for k in 0..n {
            let img = &v[k * 3 * plane..(k + 1) * 3 * plane];
            for i in 0..plane {
                for c in [2, 1, 0] {
                    out.push(img[c * plane + i] as u8);
                }
            }
        }
    }
    Ok(out)
}
