//! Dropout: while training, each element dropped with probability `p` and the rest scaled by
//! `1 / (1 − p)`; at inference the identity, which is how every forward pass but training's
//! runs.

use super::{Op, ShapeResult};
use crate::error::Result;
use crate::kernels::{self, DropoutMask};
use crate::nn::backward::Bwd;
use crate::nn::network::Fwd;
use crate::nn::twin::{TwinBwd, TwinFwd};
use crate::reference;

/// Dropout with drop probability `p`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dropout {
    pub p: f32,
}

impl Dropout {
    /// The mask node `i` draws at `seed`.
    fn mask(&self, seed: u32, i: usize) -> DropoutMask {
        DropoutMask {
            p: self.p,
            seed,
            stream: i as u32,
        }
    }
}

impl Op for Dropout {
    fn kind(&self) -> &'static str {
        "dropout"
    }

    fn shape(&self, ins: &[[usize; 3]]) -> ShapeResult {
        Ok(ins[0])
    }

    fn is_passthrough(&self) -> bool {
        true
    }

    fn forward(&self, cx: &mut Fwd<'_>) -> Result<()> {
        match cx.train {
            // in place: its output shares its input's buffer
            Some((seed, step)) => {
                let m = self.mask(seed, cx.i);
                cx.push(kernels::dropout(cx.gpu, &m, step, cx.x()))
            }
            None => Ok(()), // at inference: the identity
        }
    }

    fn backward(&self, cx: &mut Bwd<'_>) -> Result<()> {
        if let Some((seed, step)) = cx.dropout {
            let m = self.mask(seed, cx.i);
            cx.push(kernels::dropout(cx.gpu, &m, step, cx.dy()))?;
        }
        cx.pass_on()
    }

    fn twin_forward(&self, cx: &TwinFwd<'_>) -> (Vec<f32>, Vec<u32>) {
        let mut y = cx.x().to_vec();
        if let Some((seed, step)) = cx.dropout {
            reference::dropout(&self.mask(seed, cx.i), step, &mut y);
        }
        (y, Vec::new())
    }

    fn twin_backward(&self, cx: &mut TwinBwd<'_>) {
        let mut dy = cx.take_dy();
        if let Some((seed, step)) = cx.dropout {
            reference::dropout(&self.mask(seed, cx.i), step, &mut dy);
        }
        cx.accumulate(0, dy);
    }
}
