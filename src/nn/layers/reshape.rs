//! A reshape: the same values seen with another shape (a flatten among them).

use super::{Mismatch, Op, ShapeResult};
use crate::error::Result;
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};

/// The same values seen with shape `to` `(c, h, w)` of as many elements (a flatten is
/// `(c·h·w, 1, 1)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Reshape {
    pub to: [usize; 3],
}

impl Op for Reshape {
    fn kind(&self) -> &'static str {
        "reshape"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        let n = ins[0].iter().product::<usize>();
        if self.to.iter().product::<usize>() != n {
            return Err(Mismatch {
                what: "reshape",
                expected: format!("{n} elements"),
                found: format!("{:?}", self.to),
            });
        }
        Ok(self.to)
    }

    fn is_passthrough(&self) -> bool {
        true
    }

    fn forward(&self, _cx: &mut Fwd<'_>) -> Result<()> {
        Ok(()) // its output shares its input's buffer
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        cx.pass_on()
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        (cx.x().to_vec(), Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let dy = cx.take_dy();
        cx.accumulate(0, dy);
    }
}
