//! The model's one image input: its per-image shape, from the declared shape or the
//! `input_size` a user gives (the command line's `--input-size`, or a sidecar's key), and its
//! layout: `(N, C, H, W)`, or TensorFlow's `(N, H, W, C)` as tf2onnx keeps it.

use crate::error::{Error, Result};
use crate::nn::onnx::proto::GraphProto;
use crate::nn::onnx::tensor::type_name;
use crate::nn::preprocess::Source;
use std::collections::HashSet;
use std::path::Path;

/// One declared dimension of the input.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dim {
    Fixed(usize),
    /// A symbolic or absent size, left for `input_size` to fill.
    Open,
}

/// The model's image input.
pub(in crate::nn::onnx) struct Input {
    pub name: String,
    /// `(c, h, w)`.
    pub shape: [usize; 3],
    /// Declared `(N, H, W, C)`: the importer sees it through the permutation.
    pub nhwc: bool,
}

/// The model's one image input, from its declared shape; `size` gives `(h, w)` where the
/// model leaves them open, with where it came from (the command line, or a sidecar) for
/// errors. Channels first when the second dimension is 1 or 3, else last
/// when the fourth is.
pub(in crate::nn::onnx) fn input_shape(
    file: &Path,
    graph: &GraphProto,
    size: Option<([usize; 2], Source<'_>)>,
) -> Result<Input> {
    let err = |m: String| Error::Onnx {
        path: file.into(),
        message: m,
    };
    let (input, dims) = declared(graph, &err)?;
    if let Dim::Fixed(n @ 2..) = dims[0] {
        // a fixed batch above 1: the model would take only batches of that size
        return Err(err(format!(
            "input {:?} has a fixed batch of {n}: export it with batch 1 or a dynamic batch",
            input.name()
        )));
    }
    let (c, [dh, dw], nhwc) = match (dims[1], dims[2], dims[3]) {
        (Dim::Fixed(c @ (1 | 3)), h, w) => (c, [h, w], false),
        (h, w, Dim::Fixed(c @ (1 | 3))) => (c, [h, w], true),
        (Dim::Open, _, _) => {
            return Err(err(format!("input {:?} leaves its channels open", input.name())))
        }
        (Dim::Fixed(c), _, _) => {
            return Err(err(format!(
                "input {:?} has {c} channels, and its last dimension is not 1 or 3 either: fooling takes grey (1) or colour (3) images, laid out (N, C, H, W) or as TensorFlow does, (N, H, W, C)",
                input.name()
            )))
        }
    };
    let (h, w) = size_of(file, [dh, dw], size)?;
    if h > 4096 || w > 4096 {
        return Err(err(format!("input {h}x{w}: at most 4096 pixels a side")));
    }
    Ok(Input {
        name: input.name().to_string(),
        shape: [c, h, w],
        nhwc,
    })
}

/// The graph's one image input (the inputs that are not initializers) and its declared
/// dimensions, four of them; the graph must have one output.
fn declared<'g>(
    graph: &'g GraphProto,
    err: &dyn Fn(String) -> Error,
) -> Result<(&'g crate::nn::onnx::proto::ValueInfoProto, Vec<Dim>)> {
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
    use crate::nn::onnx::proto::tensor_shape_proto::dimension::Value;
    let dims: Vec<Dim> = tensor
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .enumerate()
                .map(|(i, d)| match d.value {
                    Some(Value::DimValue(v)) if v > 0 => Ok(Dim::Fixed(v as usize)),
                    Some(Value::DimValue(v)) => Err(err(format!(
                        "input {:?} declares dimension {i} as {v}: not a size",
                        input.name()
                    ))),
                    _ => Ok(Dim::Open),
                })
                .collect::<Result<Vec<Dim>>>()
        })
        .transpose()?
        .unwrap_or_default();
    if dims.len() != 4 {
        return Err(err(format!(
            "input {:?} has {} dimensions: fooling takes images, (N, C, H, W)",
            input.name(),
            dims.len()
        )));
    }
    Ok((input, dims))
}

/// The input's (height, width): the declared ones, or `size` (which must agree with any
/// declared).
fn size_of(
    file: &Path,
    [dh, dw]: [Dim; 2],
    size: Option<([usize; 2], Source<'_>)>,
) -> Result<(usize, usize)> {
    Ok(match (dh, dw, size) {
        (_, _, Some(([h, w], setting))) => {
            if h == 0 || w == 0 {
                return Err(setting.error(
                    "input_size",
                    format!("{h},{w}: each side must be at least 1"),
                ));
            }
            let fixed = |d: Dim| match d {
                Dim::Fixed(v) => v.to_string(),
                Dim::Open => "open".into(),
            };
            for (d, given) in [(dh, h), (dw, w)] {
                if matches!(d, Dim::Fixed(v) if v != given) {
                    return Err(setting.error(
                        "input_size",
                        format!(
                            "{h},{w} for a model whose input is fixed at {}x{}",
                            fixed(dh),
                            fixed(dw)
                        ),
                    ));
                }
            }
            (h, w)
        }
        (Dim::Fixed(h), Dim::Fixed(w), None) => (h, w),
        _ => {
            return Err(Error::setting(
                "input_size",
                format!(
                "needed: the model {} leaves its input's height and width open; give them as H,W",
                file.display()
            ),
            ))
        }
    })
}
