//! onnxruntime's inference as the peer of a bench (`tools/peer_onnxruntime.py`): the same
//! ONNX model at the same batch, on the same machine, in the same run. The benches that hold
//! a network against it (`dogs`, `resnet`) include this file.

/// onnxruntime's images/s on `model` at `batch`, and what ran it, or why it did not run.
pub fn images_per_s(
    python: &str,
    model: &str,
    batch: usize,
    quick: bool,
) -> Result<(f64, String), String> {
    let out = std::process::Command::new(python)
        .args(["tools/peer_onnxruntime.py", "--model", model])
        .args(["--batch", &batch.to_string()])
        .args(["--seconds", if quick { "1" } else { "5" }])
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .map_err(|e| format!("{e}: {text}"))?;
    Ok((
        v["images_per_s"].as_f64().unwrap_or(0.0),
        format!("onnxruntime {}, threads {}", v["onnxruntime"], v["threads"]),
    ))
}
