//! Every WGSL file parses and validates with naga, for every specialisation of its
//! `override` constants, and translates with naga's SPIR-V, MSL and HLSL back-ends: the
//! portability check for Vulkan, Metal and DX12 on a machine that has none of them.

use fooling::kernels::SHADERS;
use naga::valid::{Capabilities, ValidationFlags, Validator};

/// Every combination of the boolean overrides; numeric ones (workgroup shapes) at their
/// defaults and at the most lopsided values the launchers use.
fn specialisations(module: &naga::Module) -> Vec<naga::back::PipelineConstants> {
    let named = |pred: &dyn Fn(&naga::TypeInner) -> bool| -> Vec<String> {
        module
            .overrides
            .iter()
            .filter(|(_, o)| pred(&module.types[o.ty].inner))
            .filter_map(|(_, o)| o.name.clone())
            .collect()
    };
    let is_bool = |t: &naga::TypeInner| matches!(t, naga::TypeInner::Scalar(s) if s.kind == naga::ScalarKind::Bool);
    let bools = named(&is_bool);
    let numeric = named(&|t| !is_bool(t));
    let mut out = vec![naga::back::PipelineConstants::default()];
    if numeric.iter().any(|n| n == "WX") && numeric.iter().any(|n| n == "WY") {
        for (wx, wy) in [(256.0, 1.0), (1.0, 256.0)] {
            let mut c = naga::back::PipelineConstants::default();
            c.insert("WX".to_string(), wx);
            c.insert("WY".to_string(), wy);
            out.push(c);
        }
    }
    for name in bools {
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
