//! `fooling convert`.

use super::args::*;
use anyhow::Result;
use fooling::io::sha256_file;
use fooling::nn::{self, Weights};

pub fn convert(args: &ConvertArgs) -> Result<()> {
    let arch = nn::by_name(&args.net)?;
    let weights = nn::caffemodel::load(&args.caffemodel, &arch)?;
    // through the checked loader before anything is written: names, shapes, finite values
    let bytes = weights.to_bytes();
    Weights::from_bytes(&bytes, &args.caffemodel, &arch)?;
    fooling::io::write_atomic(&args.out, &bytes)?;
    let n: usize = weights.tensors.values().map(|t| t.data.len()).sum();
    println!(
        "wrote {} ({} tensors, {n} parameters of {}) from {}; sha256 {}",
        args.out.display(),
        weights.tensors.len(),
        arch.name,
        args.caffemodel.display(),
        sha256_file(&args.out)?
    );
    Ok(())
}
