//! The ONNX protobuf messages (`ModelProto`, `GraphProto`, `NodeProto`, `TensorProto`, …):
//! prost's types for the vendored `proto/onnx.proto`, generated into `proto/onnx.rs` by
//! `tools/onnx_proto` (protox parses the schema, so no system `protoc` is needed). The file is
//! committed so that a build compiles no protobuf compiler; a test checks it was generated
//! from the schema as it is.

#![allow(clippy::all, missing_docs)]

include!("../../../proto/onnx.rs");
