//! Compiles the vendored ONNX schema (`proto/onnx.proto`, see `proto/README.md`) into the
//! Rust types of `nn::onnx` with prost, the schema parsed by protox (no system `protoc`).

fn main() {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    let files = protox::compile(["proto/onnx.proto"], ["proto"])
        .unwrap_or_else(|e| panic!("proto/onnx.proto does not compile: {e}"));
    prost_build::Config::new()
        .compile_fds(files)
        .unwrap_or_else(|e| panic!("prost cannot generate the ONNX types: {e}"));
}
