//! Evolution: the counter-based random numbers shared with the shaders ([`rng`]) and
//! MAP-Elites with the direct encoding ([`DirectSearch`]), built on the kernels of
//! [`crate::kernels`] (`poly_mutate`, `render_grey`, `elite_select`, `elite_copy`).

mod direct;
pub mod rng;

pub use direct::{DirectConfig, DirectSearch, Schedule};
