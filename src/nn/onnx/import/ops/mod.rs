//! The operators the importer takes, one small handler each, registered by name: the one
//! list of what is supported (errors name it, docs/onnx.md's table follows it).

mod act;
mod arith;
mod conv;
mod linear;
mod misc;
mod pool;
mod view;

use super::Importer;
use crate::error::Result;
use crate::nn::onnx::proto::NodeProto;

/// What handles one operator: reads its node's inputs and attributes, appends layers, and
/// sets what its outputs stand for.
type Handler = fn(&mut Importer, &NodeProto) -> Result<()>;

/// Every operator taken, with its handler.
const OPS: &[(&str, Handler)] = &[
    ("Conv", conv::conv),
    ("Pad", conv::pad),
    ("BatchNormalization", conv::batchnorm),
    ("Relu", act::relu),
    ("LeakyRelu", act::leaky_relu),
    ("Clip", act::clip),
    ("Sigmoid", act::sigmoid),
    ("Tanh", act::tanh),
    ("HardSigmoid", act::hard_sigmoid),
    ("HardSwish", act::hard_swish),
    ("Add", arith::binary),
    ("Sub", arith::binary),
    ("Mul", arith::binary),
    ("Div", arith::binary),
    ("Concat", view::concat),
    ("MaxPool", pool::pool),
    ("AveragePool", pool::pool),
    ("GlobalAveragePool", pool::global),
    ("GlobalMaxPool", pool::global),
    ("ReduceMean", pool::reduce_mean),
    ("Flatten", view::flatten),
    ("Reshape", view::reshape),
    ("Squeeze", view::squeeze),
    ("Unsqueeze", view::squeeze),
    ("Transpose", view::transpose),
    ("Gemm", linear::linear),
    ("MatMul", linear::linear),
    ("LRN", misc::lrn),
    ("Dropout", misc::identity),
    ("Identity", misc::identity),
    ("Softmax", misc::softmax),
    ("LogSoftmax", misc::softmax),
    ("Constant", misc::constant),
    ("Shape", misc::fold),
    ("Gather", misc::fold),
    ("Cast", misc::fold),
    ("ConstantOfShape", misc::fold),
    ("Slice", misc::fold),
];

/// The handler of `op`, if it is taken.
pub(super) fn handler(op: &str) -> Option<Handler> {
    OPS.iter().find(|(name, _)| *name == op).map(|&(_, h)| h)
}

/// The operators the importer takes, in the registry's order.
pub fn supported() -> Vec<&'static str> {
    OPS.iter().map(|&(name, _)| name).collect()
}
