//! A node's attributes, read by type: an attribute of another type than the operator defines
//! is an error naming it, never read as a default.

use crate::nn::onnx::proto::attribute_proto::AttributeType;
use crate::nn::onnx::proto::{AttributeProto, NodeProto};

/// The attributes of one node.
pub(in crate::nn::onnx) struct Attrs<'a>(pub(in crate::nn::onnx) &'a NodeProto);

impl<'a> Attrs<'a> {
    fn get(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>, String> {
        match self.0.attribute.iter().find(|a| a.name() == name) {
            None => Ok(None),
            // files of old exporters may leave the type unset: the field holding a value says
            Some(a) if a.r#type() == want || a.r#type() == AttributeType::Undefined => Ok(Some(a)),
            Some(a) => Err(format!(
                "attribute {name} is {}, where the operator takes {}",
                type_name(a.r#type()),
                type_name(want)
            )),
        }
    }

    /// An integer attribute, `default` when absent.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        Ok(self
            .get(name, AttributeType::Int)?
            .map_or(default, |a| a.i()))
    }

    /// A float attribute, `default` when absent.
    pub fn float(&self, name: &str, default: f32) -> Result<f32, String> {
        Ok(self
            .get(name, AttributeType::Float)?
            .map_or(default, |a| a.f()))
    }

    /// A list of integers, `None` when absent.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        Ok(self.get(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    /// A list of floats, `None` when absent.
    pub fn floats(&self, name: &str) -> Result<Option<Vec<f32>>, String> {
        Ok(self
            .get(name, AttributeType::Floats)?
            .map(|a| a.floats.clone()))
    }

    /// A string attribute, `None` when absent.
    pub fn string(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .get(name, AttributeType::String)?
            .map(|a| String::from_utf8_lossy(a.s()).into_owned()))
    }

    /// A tensor attribute (a `Constant`'s value), `None` when absent.
    pub fn tensor(
        &self,
        name: &str,
    ) -> Result<Option<&'a crate::nn::onnx::proto::TensorProto>, String> {
        Ok(self
            .get(name, AttributeType::Tensor)?
            .and_then(|a| a.t.as_ref()))
    }
}

fn type_name(t: AttributeType) -> &'static str {
    match t {
        AttributeType::Float => "a float",
        AttributeType::Int => "an integer",
        AttributeType::String => "a string",
        AttributeType::Tensor => "a tensor",
        AttributeType::Graph => "a graph",
        AttributeType::Floats => "a list of floats",
        AttributeType::Ints => "a list of integers",
        AttributeType::Strings => "a list of strings",
        AttributeType::Tensors => "a list of tensors",
        AttributeType::Graphs => "a list of graphs",
        _ => "of another type",
    }
}
