//! Every WGSL file parses and validates with naga, for every specialisation of its
//! `override` constants, and translates with naga's SPIR-V, MSL and HLSL back-ends: the
//! portability check for Vulkan, Metal and DX12 on a machine that has none of them.

use fooling::kernels::SHADERS;
use naga::valid::{Capabilities, ValidationFlags, Validator};

fn specialisations(module: &naga::Module) -> Vec<naga::back::PipelineConstants> {
    let names: Vec<String> = module
        .overrides
        .iter()
        .filter_map(|(_, o)| o.name.clone())
        .collect();
    let mut out = vec![naga::back::PipelineConstants::default()];
    for name in names {
        out = out
            .into_iter()
            .flat_map(|c| {
                [0.0, 1.0].map(|v| {
                    let mut c = c.clone();
                    c.insert(name.clone(), v);
                    c
                })
            })
            .collect();
    }
    out
}

#[test]
fn every_shader_validates_and_translates() {
    assert!(SHADERS.len() >= 5);
    for (file, source) in SHADERS {
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{file}: {}", e.emit_to_string(source)));
        let info = Validator::new(ValidationFlags::all(), Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{file}: {}", e.emit_to_string(source)));
        assert!(!module.entry_points.is_empty(), "{file}: no entry point");
        for ep in &module.entry_points {
            let expected = file.trim_end_matches(".wgsl");
            assert!(
                ep.name.starts_with(expected),
                "{file}: entry point {} should be named <op>_<direction>",
                ep.name
            );
            for constants in specialisations(&module) {
                let stage = (naga::ShaderStage::Compute, ep.name.as_str());
                let (m, i) = naga::back::pipeline_constants::process_overrides(
                    &module,
                    &info,
                    Some(stage),
                    &constants,
                )
                .unwrap_or_else(|e| panic!("{file}:{} {constants:?}: {e}", ep.name));
                naga::back::spv::write_vec(&m, &i, &Default::default(), None)
                    .unwrap_or_else(|e| panic!("{file}:{} to SPIR-V: {e}", ep.name));
                let msl_opts = naga::back::msl::PipelineOptions {
                    entry_point: Some((naga::ShaderStage::Compute, ep.name.clone())),
                    ..Default::default()
                };
                naga::back::msl::write_string(&m, &i, &Default::default(), &msl_opts)
                    .unwrap_or_else(|e| panic!("{file}:{} to MSL: {e}", ep.name));
                let hlsl_opts = naga::back::hlsl::PipelineOptions {
                    entry_point: Some((naga::ShaderStage::Compute, ep.name.clone())),
                };
                let hlsl_base = naga::back::hlsl::Options::default();
                let mut out = String::new();
                naga::back::hlsl::Writer::new(&mut out, &hlsl_base, &hlsl_opts)
                    .write(&m, &i, None)
                    .unwrap_or_else(|e| panic!("{file}:{} to HLSL: {e}", ep.name));
            }
        }
    }
}

#[test]
fn every_shader_file_is_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wgsl") {
            assert!(
                SHADERS.iter().any(|(f, _)| *f == name),
                "shaders/{name} is not in kernels::SHADERS"
            );
        }
    }
}
