//! Times each backward kernel at LeNet's training shapes (batch 64).
use fooling::gpu::{GpuBuffer, GpuOptions};
use fooling::kernels::{self, Conv2dShape, LinearShape, Pool2dShape};
use std::time::Instant;

fn main() {
    let gpu = fooling::Gpu::new(&GpuOptions::default()).unwrap();
    let b = 64;
    let z = |n: usize| GpuBuffer::<f32>::from_slice(&gpu, "z", &vec![0.5f32; n]).unwrap();
    let c1 = Conv2dShape::square(b, [1, 28, 28], 20, 5, 1, 0, 1);
    let c2 = Conv2dShape::square(b, [20, 12, 12], 50, 5, 1, 0, 1);
    let l1 = LinearShape {
        batch: b,
        in_f: 800,
        out_f: 500,
    };
    let time = |name: &str, d: kernels::Dispatch| {
        gpu.run(&[&d]).unwrap();
        let t = Instant::now();
        for _ in 0..5 {
            gpu.run(&[&d]).unwrap();
        }
        println!(
            "{name:<28} {:8.2} ms",
            t.elapsed().as_secs_f64() * 1e3 / 5.0
        );
    };
    for (name, s) in [("conv1", c1), ("conv2", c2)] {
        let (x, w, dy, dx, dw) = (
            z(s.input_len()),
            z(s.weight_len()),
            z(s.output_len()),
            z(s.input_len()),
            z(s.weight_len()),
        );
        time(
            &format!("{name} bwd_weight"),
            kernels::conv2d_bwd_weight(&gpu, &s, dy.view(), x.view(), dw.view()).unwrap(),
        );
        time(
            &format!("{name} bwd_input"),
            kernels::conv2d_bwd_input(&gpu, &s, dy.view(), w.view(), dx.view()).unwrap(),
        );
        let db = z(s.out_c);
        time(
            &format!("{name} bias_bwd"),
            kernels::bias_bwd(
                &gpu,
                b,
                s.out_c,
                s.out_h() * s.out_w(),
                dy.view(),
                db.view(),
            )
            .unwrap(),
        );
        time(
            &format!("{name} fwd"),
            kernels::conv2d_fwd(&gpu, &s, false, x.view(), w.view(), db.view(), dy.view()).unwrap(),
        );
    }
    let (x, w, dy, dx, dw) = (
        z(b * 800),
        z(800 * 500),
        z(b * 500),
        z(b * 800),
        z(800 * 500),
    );
    time(
        "ip1 bwd_weight",
        kernels::linear_bwd_weight(&gpu, &l1, dy.view(), x.view(), dw.view()).unwrap(),
    );
    time(
        "ip1 bwd_input",
        kernels::linear_bwd_input(&gpu, &l1, dy.view(), w.view(), dx.view()).unwrap(),
    );
    let p = Pool2dShape::caffe(b * 20, 24, 24, 2, 2, 0);
    let arg = GpuBuffer::<u32>::zeros(&gpu, "a", p.output_len()).unwrap();
    let (pdy, pdx) = (z(p.output_len()), z(p.input_len()));
    time(
        "pool1 bwd",
        kernels::maxpool2d_bwd(&gpu, &p, pdy.view(), arg.view(), pdx.view()).unwrap(),
    );
    let (g, h, ww, v) = (z(400000), z(3), z(400000), z(400000));
    time(
        "sgd ip1",
        kernels::sgd_update(&gpu, 1.0, 1.0, g.view(), h.view(), ww.view(), v.view()).unwrap(),
    );
}
