//! Networks: architectures as data ([`Arch`], [`lenet`]), weights in safetensors
//! ([`Weights`]), a network on the device ([`Network`]) and its forward plans
//! ([`Forward`]), the CPU reference forward ([`reference_forward`]), and training on the
//! device ([`Trainer`]).

mod arch;
mod backward;
pub mod caffemodel;
mod network;
pub mod recipe;
mod train;
pub mod weights;

pub use arch::{
    alexnet, by_name, caffenet, caffenet_narrow, imagenet_labels, lenet, mlp, Arch, ChannelOrder,
    Layer, ParamSpec, Pixels,
};
pub use backward::InputGradient;
pub use network::{
    reference_backward, reference_backward_train, reference_forward, reference_input_gradient,
    Forward, Network,
};
pub use train::{accuracy, TrainConfig, Trainer};
pub use weights::{shipped_weights, Tensor, Weights};
