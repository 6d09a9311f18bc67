//! Colour genomes: the CPU twin against OpenCV itself (tests/fixtures/opencv_color.json,
//! made by tools/opencv_color_fixture.py), and the `render_color` kernel against the twin.

use crate::common::{for_each_seed, gpu, uniform};
use fooling::gpu::GpuBuffer;
use fooling::imaging::ColorModel;
use fooling::kernels;
use fooling::reference::{color_to_bgr, render_color};

fn fixture() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opencv_color.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn twin_matches_opencv_byte_for_byte() {
    let f = fixture();
    for (name, model) in [
        ("hls2bgr", ColorModel::HlsOpencv),
        ("hsv2bgr_full", ColorModel::Hsv),
    ] {
        let rows = f[name].as_array().unwrap();
        assert!(rows.len() > 5000);
        for row in rows {
            let v: Vec<u8> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u8)
                .collect();
            assert_eq!(
                color_to_bgr(model, [v[0], v[1], v[2]]),
                [v[3], v[4], v[5]],
                "{name} of {:?} (OpenCV {})",
                &v[..3],
                f["opencv"]
            );
        }
    }
}

#[test]
fn render_color_matches_twin() {
    let gpu = gpu();
    for_each_seed("render_color", &[], |r| {
        // a genome that is not square: rows and columns cannot be confused
        let (batch, size) = (3, [37, 23]);
        let genes = uniform(r, batch * 3 * size[0] * size[1], -0.05, 1.05);
        for model in [ColorModel::HlsOpencv, ColorModel::Hsv] {
            let gb = GpuBuffer::from_slice(gpu, "genes", &genes).unwrap();
            let xb = GpuBuffer::<f32>::zeros(gpu, "bgr", genes.len()).unwrap();
            xb.fill(gpu, f32::NAN);
            let d = kernels::render_color(gpu, model, batch, size, gb.view(), xb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            assert!(
                xb.read(gpu).unwrap() == render_color(model, batch, size, &genes),
                "{model:?}"
            );
        }
    });
}
