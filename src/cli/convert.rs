//! `fooling convert`: [`fooling::nn::caffemodel::convert`].

use super::args::ConvertArgs;
use anyhow::Result;

pub fn convert(args: &ConvertArgs) -> Result<()> {
    let c = fooling::nn::caffemodel::convert(&args.net, &args.caffemodel, &args.out, args.force)?;
    println!(
        "wrote {} ({} tensors, {} parameters of {}) from {}; sha256 {}",
        args.out.display(),
        c.tensors,
        c.parameters,
        c.arch,
        args.caffemodel.display(),
        c.sha256
    );
    Ok(())
}
