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
        validate_and_translate(file, source, Capabilities::empty());
    }
}

/// Every generated subgroup kernel (each register block) validates with naga where
/// subgroups are available and translates for Vulkan, Metal and DX12.
#[test]
fn every_generated_shader_validates_and_translates() {
    let generated = fooling::kernels::subgroup_sources();
    assert_eq!(generated.len(), 8 * fooling::kernels::SUBGROUP_ROWS.len());
    for (entry, rows, source) in &generated {
        eprintln!("{entry}, {rows} rows");
        validate_and_translate(&format!("{entry}.wgsl"), source, Capabilities::SUBGROUP);
    }
    // the depthwise kernels generated per window, for the common windows
    for (name, source) in fooling::kernels::depthwise_rows::common_sources() {
        eprintln!("{name}");
        validate_and_translate("depthwise2d_fwd_rows.wgsl", &source, Capabilities::empty());
    }
}

/// `source` (named `file`) parses and validates with `caps`, and every entry point, at every
/// specialisation of its overrides, translates to SPIR-V, MSL and HLSL.
fn validate_and_translate(file: &str, source: &str, caps: Capabilities) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{file}: {}", e.emit_to_string(source)));
    let info = Validator::new(ValidationFlags::all(), caps)
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

#[test]
fn every_shader_file_is_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wgsl") {
            assert!(
                SHADERS.iter().any(|(f, _)| *f == name),
                "shaders/{name} is not in kernels::SHADERS"
            );
        }
    }
    // each file of shaders/include is appended to a shader that uses it
    for entry in std::fs::read_dir(dir.join("include")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            SHADERS.iter().any(|(_, s)| s.contains(&text)),
            "{} is included by no shader",
            path.display()
        );
    }
}

/// The 4-byte scalar type of a naga scalar, as Rust spells it.
fn scalar(s: &naga::Scalar) -> &'static str {
    match (s.kind, s.width) {
        (naga::ScalarKind::Uint, 4) => "u32",
        (naga::ScalarKind::Sint, 4) => "i32",
        (naga::ScalarKind::Float, 4) => "f32",
        other => panic!("a params member of type {other:?}"),
    }
}

/// Every `#[repr(C)]` params struct matches the uniform `Params` of each shader it is bound
/// to: the same size, and at every 4-byte slot the same scalar type, with the members that
/// are not padding in WGSL on Rust fields that are not padding (and a scalar Rust field
/// that is not padding on a WGSL member that is not; an array field may end in padding).
#[test]
fn params_structs_match_their_wgsl_structs() {
    use std::collections::BTreeMap;
    let layouts = fooling::kernels::params_layouts();
    assert!(layouts.len() >= 20, "{} layouts", layouts.len());
    for layout in layouts {
        // Rust: byte offset → (scalar type, is padding)
        let mut rust = BTreeMap::new();
        for &(name, offset, ty) in layout.fields {
            let ty = ty.replace(' ', "");
            let (kind, count) = match ty.strip_prefix('[') {
                Some(rest) => {
                    let (k, n) = rest.trim_end_matches(']').split_once(';').unwrap();
                    (k.to_string(), n.parse::<usize>().unwrap())
                }
                None => (ty, 1),
            };
            for i in 0..count {
                rust.insert(
                    offset + 4 * i,
                    (kind.clone(), name.starts_with('_'), count > 1, name),
                );
            }
        }
        assert_eq!(
            rust.len() * 4,
            layout.size,
            "{}: a field is not 4-byte scalars",
            layout.rust
        );
        for shader in layout.shaders {
            let module = naga::front::wgsl::parse_str(shader.source()).unwrap();
            let (_, var) = module
                .global_variables
                .iter()
                .find(|(_, g)| g.space == naga::AddressSpace::Uniform)
                .unwrap_or_else(|| panic!("{} has no uniform", shader.file()));
            let naga::TypeInner::Struct { members, span } = &module.types[var.ty].inner else {
                panic!("{}: the uniform is not a struct", shader.file());
            };
            let at = format!("{} against {}", layout.rust, shader.file());
            assert_eq!(*span as usize, layout.size, "{at}: sizes differ");
            let mut wgsl = BTreeMap::new();
            for m in members {
                let name = m.name.clone().unwrap_or_default();
                let (kind, count) = match &module.types[m.ty].inner {
                    naga::TypeInner::Scalar(s) => (scalar(s), 1),
                    naga::TypeInner::Vector { size, scalar: s } => (scalar(s), *size as usize),
                    other => panic!("{at}: member {name} is {other:?}"),
                };
                for i in 0..count {
                    wgsl.insert(
                        m.offset as usize + 4 * i,
                        (kind, name.starts_with('_'), name.clone()),
                    );
                }
            }
            for (offset, (kind, pad, name)) in &wgsl {
                let (rkind, rpad, array, rname) = rust
                    .get(offset)
                    .unwrap_or_else(|| panic!("{at}: nothing in Rust at byte {offset} ({name})"));
                if !pad {
                    assert!(
                        !rpad && rkind == kind,
                        "{at}: {name} at byte {offset} is {kind}, Rust has {rkind} (padding: {rpad})"
                    );
                    assert!(
                        *array || rname == name,
                        "{at}: byte {offset} is {name} in WGSL, {rname} in Rust"
                    );
                }
            }
            for (offset, (_, rpad, array, _)) in &rust {
                if !rpad && !array {
                    let w = wgsl.get(offset);
                    assert!(
                        w.is_some_and(|(_, pad, _)| !pad),
                        "{at}: Rust's field at byte {offset} lies on WGSL padding or nothing ({w:?})"
                    );
                }
            }
        }
    }
}
