//! Which steps each half of the paper takes, at each scale: the networks, data and transfer
//! targets of the MNIST half ([`Grey`]) and the ImageNet half's, in the order they run.

use super::{
    out_dir, Half, ReproduceSettings, Scale, Step, DOGS_NET, FASHION_DATA, FASHION_ITERATIONS,
};
use crate::ascent::AscentSettings;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::{study_run, EvolveSettings};
use crate::evo::Encoding;
use crate::experiments::retrain::RetrainSettings;
use crate::experiments::transfer::TransferSettings;
use std::path::{Path, PathBuf};

/// What the MNIST half runs on: the network, its data, its transfer targets.
struct Grey {
    net: &'static str,
    /// The training data (the retraining's, and the ascent's mean image).
    data: PathBuf,
    /// The weights file of the same architecture trained with another seed.
    second: &'static str,
    /// Another architecture trained on the same data, with its shipped weights.
    other: Option<&'static str>,
    /// The random warps the shipped network learnt with (`fooling train --augment`): the
    /// retrained networks learn with the same, so that DNN_1 and DNN_2 differ only by the
    /// fooling class.
    augment: Option<crate::kernels::Augment>,
}

impl Grey {
    fn mnist() -> Grey {
        Grey {
            net: "lenet",
            data: PathBuf::from("data/mnist-10k"),
            second: "lenet_mnist_b.safetensors",
            other: Some("mlp"),
            augment: Some(crate::kernels::Augment::default()),
        }
    }

    /// Fashion-MNIST where Debian's `dataset-fashion-mnist` puts it.
    fn fashion() -> Result<Grey> {
        let data = PathBuf::from(FASHION_DATA);
        if !data.join("train-images-idx3-ubyte.gz").exists() {
            return Err(Error::invalid(
                "reproduce fashion",
                format!(
                    "no Fashion-MNIST in {FASHION_DATA}: apt-get install dataset-fashion-mnist"
                ),
            ));
        }
        for (file, seed) in [
            ("lenet_fashion.safetensors", 0),
            ("lenet_fashion_b.safetensors", 1),
        ] {
            if crate::nn::weights::shipped(file).is_err() {
                return Err(Error::invalid(
                    "reproduce fashion",
                    format!(
                        "no weights/{file}: train it first with `{}`",
                        CommandLine::new("train")
                            .arg("net", "lenet-fashion")
                            .arg("data", FASHION_DATA)
                            .arg("iterations", FASHION_ITERATIONS)
                            .arg("seed", seed)
                            .arg("out", format!("weights/{file}"))
                    ),
                ));
            }
        }
        Ok(Grey {
            net: "lenet-fashion",
            data,
            second: "lenet_fashion_b.safetensors",
            other: None,
            augment: None,
        })
    }
}

/// Runs `0..seeds` of the study `base` with `settings`: one device batch for the direct
/// encoding, one run at a time for CPPNs (mutated on the host).
fn evolve(steps: &mut Vec<Step>, out: &Path, base: &str, settings: EvolveSettings, seeds: u32) {
    let batches: Vec<(u32, u32)> = match settings.encoding {
        Encoding::Direct => vec![(0, seeds)],
        Encoding::Cppn => (0..seeds).map(|i| (i, 1)).collect(),
    };
    for (first, runs) in batches {
        steps.push(Step::Evolve {
            dir: out.join(base),
            first,
            runs,
            settings: settings.clone(),
        });
    }
}

/// The ablation (R9) of runs `0..seeds` of the CPPN study `study`.
fn ablate(steps: &mut Vec<Step>, study: &Path, seeds: u32) {
    for i in 0..seeds {
        steps.push(Step::Ablate(crate::experiments::ablate::AblateSettings {
            run: study_run(study, i),
            ..Default::default()
        }));
    }
}

/// The steps of the reproduction `s`, in order.
pub fn plan(s: &ReproduceSettings) -> Result<Vec<Step>> {
    let out = out_dir(s);
    let paper = s.scale == Scale::Paper;
    let (mut steps, report) = match s.half {
        Half::Mnist => grey(&Grey::mnist(), &out, paper)?,
        Half::Fashion => grey(&Grey::fashion()?, &out, paper)?,
        Half::Imagenet => imagenet(s, &out, paper)?,
        Half::Dogs => {
            let net = crate::nn::weights::shipped(DOGS_NET)?;
            let dogs = ReproduceSettings {
                net: net.display().to_string(),
                weights: None,
                ..s.clone()
            };
            imagenet(&dogs, &out, paper)?
        }
    };
    steps.push(Step::Report {
        dirs: report,
        out: out.join("report.html"),
    });
    Ok(steps)
}

/// The MNIST half on `g`'s network and data: its steps and the directories its report shows.
fn grey(g: &Grey, out: &Path, paper: bool) -> Result<(Vec<Step>, Vec<PathBuf>)> {
    let (mut steps, mut report) = (Vec::new(), Vec::new());
    let (seeds, generations, batch) = if paper { (5, 200, 200) } else { (3, 100, 100) };
    for (name, encoding) in [("direct", Encoding::Direct), ("cppn", Encoding::Cppn)] {
        let settings = EvolveSettings {
            generations: Some(generations),
            batch: Some(batch),
            ..EvolveSettings::new(g.net, encoding)
        };
        evolve(&mut steps, out, name, settings, seeds);
        report.push(out.join(name));
    }
    let mut ascents = vec![("ascent-0.001", 0.001)];
    if paper {
        ascents.push(("ascent", AscentSettings::new(g.net).decay));
    }
    for (name, decay) in &ascents {
        steps.push(Step::Ascent {
            dir: out.join(name),
            settings: AscentSettings {
                decay: *decay,
                data: g.data.clone(),
                ..AscentSettings::new(g.net)
            },
        });
        report.push(out.join(name));
    }
    // transfer of every champion set to the second networks
    let mut sets: Vec<PathBuf> = Vec::new();
    for enc in ["direct", "cppn"] {
        sets.extend((0..seeds).map(|i| study_run(&out.join(enc), i)));
    }
    sets.push(out.join("ascent-0.001"));
    let second = crate::nn::weights::shipped(g.second)?;
    for set in &sets {
        steps.push(Step::Transfer(TransferSettings::new(
            set,
            g.net,
            Some(second.clone()),
        )));
        if let Some(other) = g.other {
            steps.push(Step::Transfer(TransferSettings::new(set, other, None)));
        }
    }
    ablate(&mut steps, &out.join("cppn"), seeds);
    // the retrained networks learn as the shipped DNN_1 did
    let settings = if paper {
        RetrainSettings {
            data: g.data.clone(),
            augment: g.augment,
            ..RetrainSettings::new(g.net)
        }
    } else {
        RetrainSettings {
            rounds: Some(2),
            class_size: Some(100),
            generations: 20,
            batch: 50,
            iterations: 500,
            data: g.data.clone(),
            augment: g.augment,
            ..RetrainSettings::new(g.net)
        }
    };
    steps.push(Step::Retrain {
        dir: out.join("retrain"),
        settings,
    });
    report.push(out.join("retrain"));
    Ok((steps, report))
}

/// The ImageNet half for the network of `s` (a built-in one with its weights, or an ONNX
/// model, which holds its own): its steps and the directories its report shows.
fn imagenet(s: &ReproduceSettings, out: &Path, paper: bool) -> Result<(Vec<Step>, Vec<PathBuf>)> {
    let (mut steps, mut report) = (Vec::new(), Vec::new());
    let weights = match &s.weights {
        Some(p) => Some(p.clone()),
        None if crate::nn::onnx::is_onnx(&s.net) => None,
        None => Some(crate::nn::shipped_weights(&s.net)?),
    };
    let (direct_g, cppn_g, crops) = if paper {
        (20000, 5000, 10)
    } else {
        (20, 20, 1)
    };
    for (name, encoding, g) in [
        ("direct", Encoding::Direct, direct_g),
        ("cppn", Encoding::Cppn, cppn_g),
    ] {
        let settings = EvolveSettings {
            weights: weights.clone(),
            generations: Some(g),
            crops: Some(crops),
            ..EvolveSettings::new(&s.net, encoding)
        };
        evolve(&mut steps, out, name, settings, 1);
        report.push(out.join(name));
    }
    ablate(&mut steps, &out.join("cppn"), 1);
    steps.push(Step::Ascent {
        dir: out.join("ascent"),
        settings: AscentSettings {
            weights,
            classes: if paper { "all" } else { "0,1,2,3,4,5,6,7,8,9" }.into(),
            ..AscentSettings::new(&s.net)
        },
    });
    report.push(out.join("ascent"));
    Ok((steps, report))
}
