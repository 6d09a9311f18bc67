//! The ONNX protobuf messages (`ModelProto`, `GraphProto`, `NodeProto`, `TensorProto`, …),
//! generated at build time by prost from the vendored `proto/onnx.proto` (compiled by protox,
//! a protobuf compiler in Rust, so no system `protoc` is needed; see `build.rs`).

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
