//! Networks: architectures as data ([`Arch`], [`lenet`]), weights in safetensors
//! ([`Weights`]), a network on the device ([`Network`]) and its forward plans
//! ([`Forward`]), and the CPU reference forward ([`reference_forward`]).

mod arch;
mod network;
mod weights;

pub use arch::{by_name, lenet, Arch, Layer, ParamSpec};
pub use network::{reference_forward, Forward, Network};
pub use weights::{write_atomic, Tensor, Weights};
