//! Writes deterministic random weights for a network, as the tests and benches draw them:
//! `cargo run --release --example hashed_weights -- caffenet/16 7 out.safetensors`.
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [net, seed, out] = &args[..] else {
        anyhow::bail!("usage: hashed_weights NET SEED OUT.safetensors");
    };
    let arch = fooling::nn::by_name(net)?;
    fooling::nn::Weights::hashed(&arch, seed.parse()?)?.save(std::path::Path::new(out))?;
    println!("wrote {out}");
    Ok(())
}
