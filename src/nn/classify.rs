//! Classifying image files (`fooling classify`): each image read as the network takes it
//! (grey or colour, resized or refused, 1 or 10 crops), one batch on the device, and each
//! image's most confident classes.

use super::preprocess::Preprocess;
use super::Network;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use std::path::PathBuf;

/// What a user gives for a classification: `fooling classify`'s options, declared here once
/// (the command line flattens them beside the images; each doc line is its `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct ClassifySettings {
    /// Network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub preprocess: Preprocess,
    /// How many classes to print per image.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Scale images of another size to the network's input instead of refusing them.
    #[arg(long, conflicts_with = "crops")]
    pub resize: bool,
    /// ImageNet networks: classify square images at least the network's size (evolved ones are
    /// 256×256) by the mean softmax over 10 crops (the corners, the centre and their mirrors)
    /// or over 1 (the centre), as `fooling evolve --crops` scores them.
    #[arg(long)]
    pub crops: Option<usize>,
}

/// One of an image's most confident classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub class: usize,
    pub label: String,
    pub confidence: f32,
}

/// What a classification found, and the preprocessing an ONNX model was given.
#[derive(Clone, Debug)]
pub struct Classified {
    /// Per image, its most confident classes.
    pub ranked: Vec<Vec<Ranked>>,
    /// An ONNX model's preprocessing, every default filled in.
    pub preprocess: Option<Preprocess>,
}

/// Each image's `top` most confident classes, most confident first (the lower class on
/// ties).
pub fn classify(gpu: &Gpu, s: &ClassifySettings, images: &[PathBuf]) -> Result<Classified> {
    if s.top == 0 {
        return Err(Error::Setting {
            value: None,
            key: "top",
            message: "must be at least 1".into(),
        });
    }
    let loaded = super::load(&s.net, s.weights.as_deref(), &s.preprocess)?;
    let (arch, weights) = (loaded.arch, loaded.weights);
    let mut input = Vec::with_capacity(images.len() * arch.input_len());
    for path in images {
        input.extend(crate::imaging::load::load_input(
            &arch, path, s.resize, s.crops,
        )?);
    }
    let net = Network::new(gpu, arch, &weights)?;
    let probs = net.classify_crops(gpu, &input, s.crops.unwrap_or(1))?;
    let ranked = probs
        .iter()
        .map(|p| {
            let mut order: Vec<usize> = (0..p.len()).collect();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
            order.truncate(s.top);
            order
                .into_iter()
                .map(|k| Ranked {
                    class: k,
                    label: net.arch.labels[k].clone(),
                    confidence: p[k],
                })
                .collect()
        })
        .collect();
    Ok(Classified {
        ranked,
        preprocess: loaded.preprocess,
    })
}
