//! Networks: architectures as graphs of layers ([`Arch`], [`Layer`]) and the built-in ones
//! (`zoo`: [`lenet`], [`caffenet`], …), a user's ONNX model ([`onnx`], with its
//! [`preprocess`]ing), the network a command is given ([`load`]), weights in safetensors
//! ([`Weights`]), a network on the device ([`Network`]) with its forward plans
//! ([`Forward`]), backward pass and input gradient ([`InputGradient`]), training on the
//! device ([`Trainer`], and [`recipe`] for a whole training with its model card), Caffe's
//! weights ([`caffemodel`]), and the CPU networks composed from the twins (`twin`:
//! [`reference_forward`], …) that the tests hold the device's against.

mod arch;
mod backward;
mod bounds;
pub mod caffemodel;
pub mod classify;
mod forward;
mod input_gradient;
mod layers;
pub mod load;
mod network;
pub mod onnx;
pub mod preprocess;
pub mod recipe;
mod train;
mod twin;
pub mod weights;
mod zoo;

pub use arch::{Arch, ChannelOrder, ParamSpec, Pixels};
pub use forward::Forward;
pub use input_gradient::InputGradient;
pub use layers::{Affine, Conv2d, Dropout, Layer, Linear, Lrn, Node, Pad, Pool, PoolKind, Reshape};
pub use load::{load, load_recorded, Loaded};
pub use network::Network;
pub use train::{accuracy, TrainConfig, Trainer};
pub use twin::{
    reference_backward, reference_backward_train, reference_forward, reference_input_gradient,
};
pub use weights::{shipped_weights, Tensor, Weights};
pub use zoo::{
    alexnet, by_name, caffenet, caffenet_narrow, imagenet_labels, lenet, lenet_fashion, mlp,
    FASHION_LABELS,
};
