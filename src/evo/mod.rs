//! Evolution: the counter-based random numbers shared with the shaders ([`rng`]).
//! The search loop itself builds on the kernels of [`crate::kernels`] (`poly_mutate`,
//! `render_grey`, `elite_select`, `elite_copy`).

pub mod rng;
