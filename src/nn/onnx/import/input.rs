//! The model's one image input: its per-image shape, from the declared shape or the
//! command line's `--input-size`.

use crate::error::{Error, Result};
use crate::nn::onnx::proto::GraphProto;
use crate::nn::onnx::tensor::type_name;
use std::collections::HashSet;
use std::path::Path;

/// The per-image `(c, h, w)` of the model's one image input, from its declared shape;
/// `size` gives `(h, w)` where the model leaves them open.
pub(in crate::nn::onnx) fn input_shape(
    file: &Path,
    graph: &GraphProto,
    size: Option<[usize; 2]>,
) -> Result<(String, [usize; 3])> {
    let err = |m: String| Error::Onnx {
        path: file.into(),
        message: m,
    };
    let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name()).collect();
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !inits.contains(i.name()))
        .collect();
    if inputs.len() != 1 {
        return Err(err(format!(
            "{} inputs ({}): fooling takes a model with one image input",
            inputs.len(),
            inputs
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if graph.output.len() != 1 {
        return Err(err(format!(
            "{} outputs ({}): fooling takes a model with one output, the class scores",
            graph.output.len(),
            graph
                .output
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let input = inputs[0];
    let tensor = input
        .r#type
        .as_ref()
        .and_then(|t| match &t.value {
            Some(crate::nn::onnx::proto::type_proto::Value::TensorType(t)) => Some(t),
            _ => None,
        })
        .ok_or_else(|| err(format!("input {:?} is not a tensor", input.name())))?;
    if tensor.elem_type() != 1 {
        return Err(err(format!(
            "input {:?} is {}: fooling takes float32 image inputs",
            input.name(),
            type_name(tensor.elem_type())
        )));
    }
    let dims: Vec<Option<i64>> = tensor
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(
                        crate::nn::onnx::proto::tensor_shape_proto::dimension::Value::DimValue(v),
                    ) if v > 0 => Some(v),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if dims.len() != 4 {
        return Err(err(format!(
            "input {:?} has {} dimensions: fooling takes images, (N, C, H, W)",
            input.name(),
            dims.len()
        )));
    }
    if matches!(dims[0], Some(n) if n != 1) {
        // a fixed batch above 1: the model would take only batches of that size
        return Err(err(format!(
            "input {:?} has a fixed batch of {}: export it with batch 1 or a dynamic batch",
            input.name(),
            dims[0].unwrap_or_default()
        )));
    }
    let c =
        dims[1].ok_or_else(|| err(format!("input {:?} leaves its channels open", input.name())))?;
    if !(c == 1 || c == 3) {
        return Err(err(format!(
            "input {:?} has {c} channels: fooling takes grey (1) or colour (3) images",
            input.name()
        )));
    }
    let (h, w) = match (dims[2], dims[3], size) {
        (_, _, Some([h, w])) => {
            if h == 0 || w == 0 {
                return Err(Error::Option {
                    option: "--input-size".into(),
                    message: format!("{h},{w}: each side must be at least 1"),
                });
            }
            for (d, given) in [(dims[2], h), (dims[3], w)] {
                if let Some(d) = d {
                    if d as usize != given {
                        return Err(Error::Option {
                            option: "--input-size".into(),
                            message: format!(
                                "{h},{w} for a model whose input is fixed at {:?}",
                                &dims[2..]
                            ),
                        });
                    }
                }
            }
            (h, w)
        }
        (Some(h), Some(w), None) => (h as usize, w as usize),
        _ => {
            return Err(Error::Option {
                option: "--input-size".into(),
                message: format!(
                "needed: the model {} leaves its input's height and width open; give them as H,W",
                file.display()
            ),
            })
        }
    };
    if h > 4096 || w > 4096 {
        return Err(err(format!("input {h}x{w}: at most 4096 pixels a side")));
    }
    Ok((input.name().to_string(), [c as usize, h, w]))
}
