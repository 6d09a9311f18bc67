//! Weights as safetensors files: f32 tensors named after the architecture's layers
//! (`conv1.weight`, `conv1.bias`, …). Loading checks every name, dtype and shape against
//! the architecture and names what is wrong; saving is atomic.

use super::arch::{Arch, ParamSpec};
use crate::error::{Error, Result};
use rand::Rng;
use std::collections::BTreeMap;
use std::path::Path;

/// Host copies of a network's parameters, by tensor name.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub tensors: BTreeMap<String, Tensor>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

fn shape_str(shape: &[usize]) -> String {
    format!("{shape:?}")
}

impl Weights {
    /// Reads `path` and checks it holds exactly the tensors `arch` needs, as finite f32 of
    /// the right shapes.
    pub fn load(path: &Path, arch: &Arch) -> Result<Weights> {
        let bytes = crate::io::read::read(path, crate::io::read::MODEL)?;
        Self::from_bytes(&bytes, path, arch)
    }

    /// As [`Weights::load`], from the file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path, arch: &Arch) -> Result<Weights> {
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| Error::Weights {
            path: path.into(),
            message: format!("not a valid safetensors file (truncated or corrupt?): {e}"),
        })?;
        let specs = arch.params()?;
        let mut names: Vec<&str> = st.names();
        names.sort();
        let mut tensors = BTreeMap::new();
        for ParamSpec { name, shape } in &specs {
            let tensor_err = |expected: String, found: String| Error::Tensor {
                path: path.into(),
                tensor: name.clone(),
                expected,
                found,
            };
            let view = st.tensor(name).map_err(|_| {
                tensor_err(
                    format!(
                        "an f32 tensor of shape {} for {}",
                        shape_str(shape),
                        arch.name
                    ),
                    format!("no such tensor (the file holds: {})", names.join(", ")),
                )
            })?;
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(tensor_err(
                    "dtype F32".into(),
                    format!("dtype {:?}", view.dtype()),
                ));
            }
            if view.shape() != shape.as_slice() {
                return Err(tensor_err(
                    format!("shape {}", shape_str(shape)),
                    format!("shape {}", shape_str(view.shape())),
                ));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if let Some(i) = data.iter().position(|v| !v.is_finite()) {
                return Err(tensor_err(
                    "finite values".into(),
                    format!("{} at flat index {i}", data[i]),
                ));
            }
            tensors.insert(
                name.clone(),
                Tensor {
                    shape: shape.clone(),
                    data,
                },
            );
        }
        let extra: Vec<&str> = names
            .iter()
            .filter(|n| !tensors.contains_key(**n))
            .cloned()
            .collect();
        if !extra.is_empty() {
            return Err(Error::Weights {
                path: path.into(),
                message: format!(
                    "tensors that {} does not have: {} (expected exactly: {})",
                    arch.name,
                    extra.join(", "),
                    specs
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        Ok(Weights { tensors })
    }

    /// Checks that these weights are exactly the tensors `arch` needs, of the right shapes,
    /// with finite values (`path` names their file in errors).
    pub fn check(&self, path: &Path, arch: &Arch) -> Result<()> {
        let specs = arch.params()?;
        for ParamSpec { name, shape } in &specs {
            let t = self.tensors.get(name).ok_or_else(|| Error::Tensor {
                path: path.into(),
                tensor: name.clone(),
                expected: format!("a tensor of shape {}", shape_str(shape)),
                found: "none".into(),
            })?;
            if &t.shape != shape || t.data.len() != shape.iter().product::<usize>() {
                return Err(Error::Tensor {
                    path: path.into(),
                    tensor: name.clone(),
                    expected: format!("shape {}", shape_str(shape)),
                    found: format!("shape {} ({} values)", shape_str(&t.shape), t.data.len()),
                });
            }
            if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
                return Err(Error::Tensor {
                    path: path.into(),
                    tensor: name.clone(),
                    expected: "finite values".into(),
                    found: format!("{} at flat index {i}", t.data[i]),
                });
            }
        }
        if self.tensors.len() != specs.len() {
            let extra: Vec<&str> = self
                .tensors
                .keys()
                .filter(|k| !specs.iter().any(|s| &s.name == *k))
                .map(String::as_str)
                .collect();
            return Err(Error::Weights {
                path: path.into(),
                message: format!(
                    "tensors that {} does not have: {}",
                    arch.name,
                    extra.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// The number of classes a weights file for `arch` was made for: the rows of the last
    /// layer's weight tensor (so a LeNet retrained with a "fooling" class loads as 11 classes).
    pub fn classes_in(path: &Path, arch: &Arch) -> Result<usize> {
        let bytes = crate::io::read::read(path, crate::io::read::MODEL)?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| Error::Weights {
            path: path.into(),
            message: format!("not a valid safetensors file (truncated or corrupt?): {e}"),
        })?;
        let last = arch
            .params()?
            .into_iter()
            .rev()
            .find(|p| p.shape.len() == 2)
            .map(|p| p.name);
        Ok(last
            .and_then(|name| st.tensor(&name).ok().map(|t| t.shape()[0]))
            .unwrap_or(arch.num_classes()))
    }

    /// Loads the weights in `path` for `arch`, widened first to the class count the file was
    /// made for (see [`Weights::classes_in`]): returns the architecture that fits them.
    pub fn load_sized(path: &Path, arch: Arch) -> Result<(Arch, Weights)> {
        let classes = Self::classes_in(path, &arch)?;
        let arch = if classes != arch.num_classes() {
            arch.with_classes(classes, "fooling")?
        } else {
            arch
        };
        let weights = Self::load(path, &arch)?;
        Ok((arch, weights))
    }

    /// Caffe-style random initialisation, deterministic in `seed`: weights uniform in
    /// ±sqrt(3 / fan_in) ("xavier"), biases zero.
    pub fn random(arch: &Arch, seed: u64) -> Result<Weights> {
        let mut rng = crate::host_rng::host_rng(seed);
        let mut tensors = BTreeMap::new();
        for spec in arch.params()? {
            let data = if spec.shape.len() == 1 {
                vec![0.0; spec.len()]
            } else {
                let fan_in: usize = spec.shape[1..].iter().product();
                let a = (3.0 / fan_in as f32).sqrt();
                (0..spec.len()).map(|_| rng.gen_range(-a..a)).collect()
            };
            tensors.insert(
                spec.name,
                Tensor {
                    shape: spec.shape,
                    data,
                },
            );
        }
        Ok(Weights { tensors })
    }

    /// Random weights that any language can reproduce from `seed` with the crate's
    /// counter-based hash ([`crate::evo::rng::uniform01`]): element `i` of the `k`-th tensor
    /// of [`Arch::params`] is `(2u − 1) · sqrt(3 / fan_in)` for weights and `(2u − 1) · 0.1`
    /// for biases, with `u = uniform01(seed, k, 0, i, 7)` (computed in f64, stored as f32).
    /// `tools/imagenet_fixture.py` builds the same network in PyTorch this way.
    pub fn hashed(arch: &Arch, seed: u32) -> Result<Weights> {
        use crate::evo::rng::uniform01;
        let mut tensors = BTreeMap::new();
        for (k, spec) in arch.params()?.into_iter().enumerate() {
            let bound = if spec.shape.len() == 1 {
                0.1
            } else {
                (3.0 / spec.shape[1..].iter().product::<usize>() as f64).sqrt()
            };
            let data = (0..spec.len())
                .map(|i| {
                    let u = uniform01(seed, k as u32, 0, i as u32, 7) as f64;
                    ((2.0 * u - 1.0) * bound) as f32
                })
                .collect();
            tensors.insert(
                spec.name,
                Tensor {
                    shape: spec.shape,
                    data,
                },
            );
        }
        Ok(Weights { tensors })
    }

    /// The values of tensor `name`.
    pub fn get(&self, name: &str) -> &[f32] {
        &self.tensors[name].data
    }

    /// The safetensors encoding of these weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = self
            .tensors
            .iter()
            .map(|(name, t)| {
                let view = safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    t.shape.clone(),
                    bytemuck::cast_slice(&t.data),
                )
                .expect("shape matches data");
                (name.clone(), view)
            })
            .collect();
        safetensors::serialize(views, None).expect("f32 tensors always serialise")
    }

    /// Writes the weights to `path` atomically (temporary file, fsync, rename): an
    /// interrupted save leaves the old file as it was.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, &self.to_bytes())
    }
}

/// The shipped weights for `net`: `weights/<net>_mnist.safetensors` for the MNIST networks
/// and `weights/lenet_fashion.safetensors` for Fashion-MNIST's (they ship with the crate),
/// `weights/<net>.safetensors` for ImageNet networks (the ones a
/// user converted, weights/README.md), looked up in the working directory, then in the
/// source tree the binary was built from.
pub fn shipped_weights(net: &str) -> Result<std::path::PathBuf> {
    super::by_name(net)?; // an unknown network is that, not a missing file
    let name = match net {
        "lenet" | "mlp" => format!("{net}_mnist.safetensors"),
        "lenet-fashion" => "lenet_fashion.safetensors".into(),
        _ => format!("{net}.safetensors"),
    };
    shipped(&name)
}

/// `weights/NAME` of the working directory, else of the source tree the binary was built
/// from.
pub fn shipped(name: &str) -> Result<std::path::PathBuf> {
    [
        Path::new("weights").join(name),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("weights").join(name),
    ]
    .into_iter()
    .find(|p| p.exists())
    .ok_or_else(|| Error::setting("weights", format!("not given and no weights/{name} found: pass {} FILE (weights/README.md says how to convert Caffe's or torchvision's)", crate::command_line::flag("weights"))))
}
