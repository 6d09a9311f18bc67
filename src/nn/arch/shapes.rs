//! Shape inference of an architecture: each node's output shape from its inputs', checked
//! (an error names the node and what does not fit).

use super::{Arch, Layer, Node};
use crate::error::{Error, Result};

impl Arch {
    /// The shape of value `v` given every node's output shape.
    pub fn value_shape(&self, shapes: &[[usize; 3]], v: usize) -> [usize; 3] {
        if v == 0 {
            self.input
        } else {
            shapes[v - 1]
        }
    }

    /// The nodes that read each value (`[v]` lists node indices).
    pub fn consumers(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len() + 1];
        for (i, n) in self.nodes.iter().enumerate() {
            for &v in &n.inputs {
                if !out[v].contains(&i) {
                    out[v].push(i);
                }
            }
        }
        out
    }

    pub(super) fn shape_error(
        &self,
        i: usize,
        what: &str,
        expected: String,
        found: String,
    ) -> Error {
        Error::Shape {
            kernel: format!("{} node {i} ({})", self.name, self.node_label(i)),
            what: what.into(),
            expected,
            found,
        }
    }

    /// The `(c, h, w)` output shape of every node, in order; a linear layer's is `(f, 1, 1)`.
    /// Refuses a node that reads a later value, has the wrong number of inputs, or inputs
    /// whose shapes it cannot take.
    pub fn shapes(&self) -> Result<Vec<[usize; 3]>> {
        let mut out: Vec<[usize; 3]> = Vec::with_capacity(self.nodes.len());
        if self.nodes.is_empty() {
            return Err(Error::invalid(
                "architecture",
                format!("{} has no layers", self.name),
            ));
        }
        for i in 0..self.nodes.len() {
            let shape = self.output_shape(i, &out)?;
            out.push(shape);
        }
        Ok(out)
    }

    /// Node `i`'s output shape, given the output shapes of the nodes before it.
    pub(super) fn output_shape(&self, i: usize, before: &[[usize; 3]]) -> Result<[usize; 3]> {
        let node = &self.nodes[i];
        let (lo, hi) = node.layer.arity();
        if node.inputs.len() < lo || node.inputs.len() > hi {
            return Err(self.shape_error(
                i,
                "inputs",
                format!("{lo}..={hi}"),
                node.inputs.len().to_string(),
            ));
        }
        if let Some(&v) = node.inputs.iter().find(|&&v| v > i) {
            return Err(self.shape_error(
                i,
                "input",
                "an earlier value".into(),
                format!("value {v}"),
            ));
        }
        let ins: Vec<[usize; 3]> = node
            .inputs
            .iter()
            .map(|&v| self.value_shape(before, v))
            .collect();
        self.node_shape(i, &node.layer, &ins)
    }

    /// Appends a node reading `inputs` and returns its output shape (`shapes`: the output
    /// shapes of the nodes so far, which it extends); a node that does not fit is refused
    /// and not appended.
    pub fn push(
        &mut self,
        shapes: &mut Vec<[usize; 3]>,
        layer: Layer,
        inputs: Vec<usize>,
    ) -> Result<[usize; 3]> {
        self.nodes.push(Node { layer, inputs });
        match self.output_shape(self.nodes.len() - 1, shapes) {
            Ok(shape) => {
                shapes.push(shape);
                Ok(shape)
            }
            Err(e) => {
                self.nodes.pop();
                Err(e)
            }
        }
    }

    /// Node `i`'s output shape for inputs of shapes `ins`, or an error that names the node
    /// and what does not fit.
    pub(super) fn node_shape(
        &self,
        i: usize,
        layer: &Layer,
        ins: &[[usize; 3]],
    ) -> Result<[usize; 3]> {
        layer
            .op()
            .shape(ins)
            .map_err(|m| self.shape_error(i, m.what, m.expected, m.found))
    }
}
