//! Classifying image files (`fooling classify`): each image read as the network takes it
//! (grey or colour, resized or refused, 1 or 10 crops), one batch on the device, and each
//! image's most confident classes.

use super::preprocess::Preprocess;
use super::Network;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use std::path::PathBuf;

/// What a user gives for a classification (`fooling classify`'s options).
#[derive(Clone, Debug)]
pub struct ClassifySettings {
    pub net: String,
    /// `None`: the shipped weights for `net`.
    pub weights: Option<PathBuf>,
    /// Classes to report per image.
    pub top: usize,
    /// Scale images of another size to the network's input instead of refusing them.
    pub resize: bool,
    /// ImageNet networks: the mean softmax over 10 crops (or 1) of larger square images.
    pub crops: Option<usize>,
    /// An ONNX model's preprocessing, as the command line gives it.
    pub preprocess: Preprocess,
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
