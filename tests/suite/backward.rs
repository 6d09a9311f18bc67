//! The backward kernels: each against its CPU twin on fresh random inputs with the output
//! poisoned first, and each twin against central finite differences of the forward twins.

use crate::common::{
    assert_close, conv, for_each_seed, gpu, gpus_for_each_variant, poisoned, uniform, up, F32_DOT,
    F32_ELEMENTWISE, F32_PROB_GRAD,
};
use fooling::gpu::GpuBuffer;
use fooling::kernels::{self, LinearShape, Pool2dShape};
use fooling::reference as twin;
use rand::Rng;

/// Checks `analytic` = d(Σ r·f(x))/dx at `samples` random coordinates by central differences.
fn check_fd(
    what: &str,
    x: &[f32],
    r: &[f32],
    f: impl Fn(&[f32]) -> Vec<f32>,
    analytic: &[f32],
    eps: f32,
    rng: &mut impl Rng,
) {
    let loss = |x: &[f32]| {
        f(x).iter()
            .zip(r)
            .map(|(&y, &r)| y as f64 * r as f64)
            .sum::<f64>()
    };
    for _ in 0..24 {
        let i = rng.gen_range(0..x.len());
        let (mut hi, mut lo) = (x.to_vec(), x.to_vec());
        hi[i] += eps;
        lo[i] -= eps;
        let fd = (loss(&hi) - loss(&lo)) / (2.0 * eps as f64);
        let a = analytic[i] as f64;
        assert!(
            (fd - a).abs() <= 2e-3 * (1.0 + a.abs()),
            "{what}: coordinate {i}: finite difference {fd} vs analytic {a}"
        );
    }
}

/// A convolution with every option: strides, asymmetric padding, dilations and groups.
fn conv_full(
    x: [usize; 4],
    out_c: usize,
    k: [usize; 2],
    [stride, pad, dilation]: [[usize; 4]; 3],
    groups: usize,
) -> kernels::Conv2dShape {
    let [batch, in_c, in_h, in_w] = x;
    kernels::Conv2dShape {
        batch,
        in_c,
        in_h,
        in_w,
        out_c,
        kh: k[0],
        kw: k[1],
        stride: [stride[0], stride[1]],
        pad,
        dilation: [dilation[0], dilation[1]],
        groups,
    }
}

#[test]
fn conv2d_bwd_matches_twin_and_finite_differences() {
    for_each_seed("conv2d_bwd", &[], |r| {
        for s in [
            conv([2, 20, 12, 12], 50, 5, [1, 0, 1]), // LeNet conv2
            conv([3, 1, 28, 28], 20, 5, [1, 0, 1]),  // LeNet conv1
            conv([2, 4, 9, 11], 6, 3, [2, 1, 2]),    // stride, pad, groups
            conv([1, 6, 13, 13], 9, 5, [1, 2, 3]),
            conv([2, 3, 23, 23], 4, 11, [4, 0, 1]), // CaffeNet conv1's kernel and stride
            // register blocks of 8 to 32 rows with ragged edges: 9 and 13 channels a group,
            // stride 2, asymmetric padding, dilation
            conv_full(
                [2, 18, 9, 11],
                26,
                [3, 2],
                [[2, 1, 0, 0], [1, 2, 0, 1], [2, 1, 0, 0]],
                2,
            ),
            // a weight gradient split over images unevenly (130 images, 44 splits)
            conv([130, 2, 9, 9], 9, 3, [1, 1, 1]),
        ] {
            let x = uniform(r, s.input_len(), -1.0, 1.0);
            let w = uniform(r, s.weight_len(), -0.5, 0.5);
            let dy = uniform(r, s.output_len(), -1.0, 1.0);
            let want_dx = twin::conv2d_bwd_input(&s, &dy, &w);
            let want_dw = twin::conv2d_bwd_weight(&s, &dy, &x);
            for gpu in gpus_for_each_variant() {
                let up = |v: &[f32]| GpuBuffer::from_slice(gpu, "in", v).unwrap();
                let poisoned = |n| {
                    let b = GpuBuffer::<f32>::zeros(gpu, "out", n).unwrap();
                    b.fill(gpu, f32::NAN);
                    b
                };
                let (xb, wb, dyb) = (up(&x), up(&w), up(&dy));
                let (dxb, dwb) = (poisoned(s.input_len()), poisoned(s.weight_len()));
                let d1 =
                    kernels::conv2d_bwd_input(gpu, &s, dyb.view(), wb.view(), dxb.view()).unwrap();
                let d2 =
                    kernels::conv2d_bwd_weight(gpu, &s, dyb.view(), xb.view(), dwb.view()).unwrap();
                gpu.run(&[&d1, &d2]).unwrap();
                assert_close(
                    &format!("conv2d_bwd_input ({:?}) {s:?}", gpu.variant),
                    &dxb.read(gpu).unwrap(),
                    &want_dx,
                    F32_DOT,
                );
                assert_close(
                    &format!("conv2d_bwd_weight ({:?}) {s:?}", gpu.variant),
                    &dwb.read(gpu).unwrap(),
                    &want_dw,
                    F32_DOT,
                );
            }
            let b = vec![0.0; s.out_c];
            check_fd(
                "conv2d dx",
                &x,
                &dy,
                |x| twin::conv2d_fwd(&s, false, x, &w, &b),
                &want_dx,
                1e-2,
                r,
            );
            check_fd(
                "conv2d dw",
                &w,
                &dy,
                |w| twin::conv2d_fwd(&s, false, &x, w, &b),
                &want_dw,
                1e-2,
                r,
            );
        }
    });
}

#[test]
fn linear_bwd_matches_twin_and_finite_differences() {
    for_each_seed("linear_bwd", &[], |r| {
        for s in [
            LinearShape {
                batch: 64,
                in_f: 800,
                out_f: 500,
            },
            LinearShape {
                batch: 7,
                in_f: 33,
                out_f: 70,
            },
            LinearShape {
                batch: 130,
                in_f: 17,
                out_f: 5,
            },
            LinearShape {
                batch: 1,
                in_f: 500,
                out_f: 10,
            },
            // ragged register blocks and columns: 9, 17 and 33 rows, 3 and 13 columns
            LinearShape {
                batch: 17,
                in_f: 13,
                out_f: 33,
            },
            LinearShape {
                batch: 9,
                in_f: 3,
                out_f: 9,
            },
        ] {
            let x = uniform(r, s.batch * s.in_f, -1.0, 1.0);
            let w = uniform(r, s.out_f * s.in_f, -0.5, 0.5);
            let dy = uniform(r, s.batch * s.out_f, -1.0, 1.0);
            let want_dx = twin::linear_bwd_input(&s, &dy, &w);
            let want_dw = twin::linear_bwd_weight(&s, &dy, &x);
            let want_db = twin::bias_bwd(s.batch, s.out_f, 1, &dy);
            for gpu in gpus_for_each_variant() {
                let up = |v: &[f32]| GpuBuffer::from_slice(gpu, "in", v).unwrap();
                let poisoned = |n| {
                    let b = GpuBuffer::<f32>::zeros(gpu, "out", n).unwrap();
                    b.fill(gpu, f32::NAN);
                    b
                };
                let (xb, wb, dyb) = (up(&x), up(&w), up(&dy));
                let (dxb, dwb, dbb) = (poisoned(x.len()), poisoned(w.len()), poisoned(s.out_f));
                let d1 =
                    kernels::linear_bwd_input(gpu, &s, dyb.view(), wb.view(), dxb.view()).unwrap();
                let d2 =
                    kernels::linear_bwd_weight(gpu, &s, dyb.view(), xb.view(), dwb.view()).unwrap();
                let d3 =
                    kernels::bias_bwd(gpu, s.batch, s.out_f, 1, dyb.view(), dbb.view()).unwrap();
                gpu.run(&[&d1, &d2, &d3]).unwrap();
                let what = |k: &str| format!("{k} ({:?}) {s:?}", gpu.variant);
                assert_close(
                    &what("linear_bwd_input"),
                    &dxb.read(gpu).unwrap(),
                    &want_dx,
                    F32_DOT,
                );
                assert_close(
                    &what("linear_bwd_weight"),
                    &dwb.read(gpu).unwrap(),
                    &want_dw,
                    F32_DOT,
                );
                assert_close(
                    &what("bias_bwd"),
                    &dbb.read(gpu).unwrap(),
                    &want_db,
                    F32_DOT,
                );
            }
            let b = vec![0.0; s.out_f];
            check_fd(
                "linear dx",
                &x,
                &dy,
                |x| twin::linear_fwd(&s, false, x, &w, &b),
                &want_dx,
                1e-2,
                r,
            );
            check_fd(
                "linear dw",
                &w,
                &dy,
                |w| twin::linear_fwd(&s, false, &x, w, &b),
                &want_dw,
                1e-2,
                r,
            );
            check_fd(
                "linear db",
                &b,
                &dy,
                |b| twin::linear_fwd(&s, false, &x, &w, b),
                &want_db,
                1e-2,
                r,
            );
        }
    });
}

#[test]
fn bias_bwd_over_pixels_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("bias_bwd", &[], |r| {
        let s = conv([3, 2, 9, 9], 5, 3, [1, 1, 1]);
        let spatial = s.out_h() * s.out_w();
        let dy = uniform(r, s.output_len(), -1.0, 1.0);
        let (dyb, dbb) = (up(&dy), poisoned(s.out_c));
        let d = kernels::bias_bwd(gpu, s.batch, s.out_c, spatial, dyb.view(), dbb.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let want = twin::bias_bwd(s.batch, s.out_c, spatial, &dy);
        assert_close("bias_bwd conv", &dbb.read(gpu).unwrap(), &want, F32_DOT);
        let x = uniform(r, s.input_len(), -1.0, 1.0);
        let w = uniform(r, s.weight_len(), -1.0, 1.0);
        let b = uniform(r, s.out_c, -1.0, 1.0);
        check_fd(
            "conv db",
            &b,
            &dy,
            |b| twin::conv2d_fwd(&s, false, &x, &w, b),
            &want,
            1e-2,
            r,
        );
    });
}

#[test]
fn maxpool2d_bwd_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("maxpool2d_bwd", &[], |r| {
        for s in [
            Pool2dShape::caffe(6, 24, 24, 2, 2, 0),
            Pool2dShape::caffe(4, 13, 13, 3, 2, 0), // overlapping
            Pool2dShape::caffe(3, 7, 9, 3, 2, 1),
            Pool2dShape::caffe(2, 11, 5, 2, 2, 0), // round-up
        ] {
            let x = uniform(r, s.input_len(), -1.0, 1.0);
            let (_, arg) = twin::maxpool2d_fwd(&s, &x);
            let dy = uniform(r, s.output_len(), -1.0, 1.0);
            let argb = GpuBuffer::from_slice(gpu, "arg", &arg).unwrap();
            let (dyb, dxb) = (up(&dy), poisoned(s.input_len()));
            let d = kernels::maxpool2d_bwd(gpu, &s, dyb.view(), argb.view(), dxb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::maxpool2d_bwd(&s, &dy, &arg);
            assert_close(
                &format!("maxpool2d_bwd {s:?}"),
                &dxb.read(gpu).unwrap(),
                &want,
                F32_ELEMENTWISE,
            );
            // eps far below the gaps between random values: the arg-max does not move
            check_fd(
                "maxpool dx",
                &x,
                &dy,
                |x| twin::maxpool2d_fwd(&s, x).0,
                &want,
                1e-5,
                r,
            );
        }
    });
}

#[test]
fn relu_bwd_matches_twin_and_finite_differences() {
    let gpu = gpu();
    // a length of whole vec4s (relu_bwd4) and one that is not (relu_bwd)
    for_each_seed("relu_bwd", &[], |r| {
        for n in [5000, 4999] {
            let x: Vec<f32> = uniform(r, n, -1.0, 1.0)
                .into_iter()
                .map(|v| if v.abs() < 0.01 { 0.5 } else { v })
                .collect();
            let mut y = x.clone();
            twin::relu_fwd(&mut y);
            let dy = uniform(r, n, -1.0, 1.0);
            let (yb, dyb) = (up(&y), up(&dy));
            let d = kernels::relu_bwd(gpu, f32::INFINITY, yb.view(), dyb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let mut want = dy.clone();
            twin::relu_bwd(f32::INFINITY, &y, &mut want);
            assert!(dyb.read(gpu).unwrap() == want);
            // capped at 0.5 (ReLU6's form): no gradient where the output is the cap
            let capped: Vec<f32> = y.iter().map(|v| v.min(0.5)).collect();
            let (cb, cdb) = (up(&capped), up(&dy));
            let d = kernels::relu_bwd(gpu, 0.5, cb.view(), cdb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let mut want_capped = dy.clone();
            twin::relu_bwd(0.5, &capped, &mut want_capped);
            assert!(cdb.read(gpu).unwrap() == want_capped);
            let kept = |g: &[f32]| g.iter().filter(|v| **v != 0.0).count();
            assert!(kept(&want_capped) < kept(&want) && kept(&want_capped) > 0);
            check_fd(
                "relu",
                &x,
                &dy,
                |x| {
                    let mut y = x.to_vec();
                    twin::relu_fwd(&mut y);
                    y
                },
                &want,
                1e-3,
                r,
            );
        }
    });
}

#[test]
fn softmax_xent_bwd_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("softmax_xent_bwd", &[], |r| {
        for (rows, cols, spread) in [(64, 10, 5.0), (3, 1000, 8.0), (5, 11, 30.0)] {
            let x = uniform(r, rows * cols, -spread, spread);
            let label: Vec<u32> = (0..rows).map(|_| r.gen_range(0..cols as u32)).collect();
            let scale = 1.0 / rows as f32;
            let xb = up(&x);
            let lb = GpuBuffer::from_slice(gpu, "label", &label).unwrap();
            let (dxb, lossb) = (poisoned(rows * cols), poisoned(rows));
            let d = kernels::softmax_xent_bwd(
                gpu,
                rows,
                cols,
                scale,
                xb.view(),
                lb.view(),
                dxb.view(),
                lossb.view(),
            )
            .unwrap();
            gpu.run(&[&d]).unwrap();
            let (want_dx, want_loss) = twin::softmax_xent_bwd(rows, cols, scale, &x, &label);
            assert_close(
                "softmax_xent dx",
                &dxb.read(gpu).unwrap(),
                &want_dx,
                F32_PROB_GRAD,
            );
            assert_close(
                "softmax_xent loss",
                &lossb.read(gpu).unwrap(),
                &want_loss,
                Tol {
                    rel: 1e-5,
                    abs: 1e-5,
                },
            );
            // the gradient of the mean loss
            let ones = vec![scale; rows];
            check_fd(
                "softmax_xent",
                &x,
                &ones,
                |x| twin::softmax_xent_bwd(rows, cols, scale, x, &label).1,
                &want_dx,
                1e-2,
                r,
            );
        }
    });
}

use crate::common::Tol;

#[test]
fn sgd_update_matches_twin() {
    let gpu = gpu();
    for_each_seed("sgd_update", &[], |r| {
        let n = 1000;
        let (g, w0, v0) = (
            uniform(r, n, -1.0, 1.0),
            uniform(r, n, -1.0, 1.0),
            uniform(r, n, -0.1, 0.1),
        );
        let hyper = [0.01f32, 0.9, 5e-4];
        let (gb, hb, wb, vb) = (up(&g), up(&hyper), up(&w0), up(&v0));
        let d =
            kernels::sgd_update(gpu, 2.0, 1.0, gb.view(), hb.view(), wb.view(), vb.view()).unwrap();
        gpu.run(&[&d, &d]).unwrap(); // two steps
        let (mut w, mut v) = (w0.clone(), v0.clone());
        twin::sgd_update(2.0, 1.0, &g, hyper, &mut w, &mut v);
        twin::sgd_update(2.0, 1.0, &g, hyper, &mut w, &mut v);
        assert_close("sgd w", &wb.read(gpu).unwrap(), &w, F32_ELEMENTWISE);
        assert_close("sgd v", &vb.read(gpu).unwrap(), &v, F32_ELEMENTWISE);
    });
}

#[test]
fn gather_batch_matches_twin() {
    let gpu = gpu();
    for_each_seed("gather_batch", &[], |r| {
        let (images, pixels) = (37, 23); // odd sizes: images straddle packed words
        let data: Vec<u8> = (0..images * pixels).map(|_| r.gen()).collect();
        let labels: Vec<u32> = (0..images).map(|_| r.gen_range(0..10)).collect();
        let idx: Vec<u32> = (0..50).map(|_| r.gen_range(0..images as u32)).collect();
        let db = GpuBuffer::from_slice(gpu, "data", &kernels::pack_bytes(&data)).unwrap();
        let lb = GpuBuffer::from_slice(gpu, "labels", &labels).unwrap();
        let ib = GpuBuffer::from_slice(gpu, "idx", &idx).unwrap();
        let xb = poisoned(idx.len() * pixels);
        let lob = GpuBuffer::<u32>::zeros(gpu, "label_out", idx.len()).unwrap();
        lob.fill(gpu, u32::MAX);
        let d = kernels::gather_batch(
            gpu,
            pixels,
            1.0 / 256.0,
            db.view(),
            lb.view(),
            ib.view(),
            xb.view(),
            lob.view(),
        )
        .unwrap();
        gpu.run(&[&d]).unwrap();
        let (want_x, want_l) = twin::gather_batch(pixels, 1.0 / 256.0, &data, &labels, &idx);
        assert!(xb.read(gpu).unwrap() == want_x);
        assert_eq!(lob.read(gpu).unwrap(), want_l);
    });
}

#[test]
fn dropout_matches_twin_and_drops_the_same_gradient() {
    use fooling::kernels::DropoutMask;
    let gpu = gpu();
    for_each_seed("dropout", &[], |r| {
        let n = 100_003;
        let x = uniform(r, n, 0.5, 1.5);
        let step = GpuBuffer::from_slice(gpu, "step", &[5u32]).unwrap();
        for p in [0.0f32, 0.5, 0.9] {
            let m = DropoutMask {
                p,
                seed: r.gen(),
                stream: 3,
            };
            let xb = up(&x);
            let d = kernels::dropout(gpu, &m, step.view(), xb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let got = xb.read(gpu).unwrap();
            let mut want = x.clone();
            twin::dropout(&m, 5, &mut want);
            assert_close(&format!("dropout p {p}"), &got, &want, F32_ELEMENTWISE);
            let kept = got.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
            assert!((kept - (1.0 - p as f64)).abs() < 0.01, "p {p}: kept {kept}");
            // the backward pass is the same kernel: it drops exactly the same elements
            gpu.run(&[&d]).unwrap();
            let twice = xb.read(gpu).unwrap();
            assert!(got
                .iter()
                .zip(&twice)
                .all(|(a, b)| (*a == 0.0) == (*b == 0.0)));
        }
        // another step draws another mask
        let m = DropoutMask {
            p: 0.5,
            seed: 1,
            stream: 3,
        };
        let (mut a, mut b) = (x.clone(), x.clone());
        twin::dropout(&m, 5, &mut a);
        twin::dropout(&m, 6, &mut b);
        assert!(
            a.iter()
                .zip(&b)
                .filter(|(a, b)| (**a == 0.0) != (**b == 0.0))
                .count()
                > n / 4
        );
        assert!(kernels::dropout(
            gpu,
            &DropoutMask { p: 1.0, ..m },
            step.view(),
            up(&x).view()
        )
        .is_err());
    });
}

/// `augment` against its twin on random images (odd sizes, two channels, several bounds),
/// with the output poisoned; no warp is the identity, and another step draws other warps.
#[test]
fn augment_matches_twin() {
    use crate::common::Tol;
    use fooling::kernels::Augment;
    let gpu = gpu();
    for_each_seed("augment", &[], |r| {
        // coordinates are f32 on the device and f64 in the twin: a few 1e-6 pixels apart
        let tol = Tol {
            rel: 1e-4,
            abs: 1e-4,
        };
        let shape = [2, 13, 17];
        let batch = 9;
        let x = uniform(r, batch * 2 * 13 * 17, 0.0, 1.0);
        let xb = up(&x);
        let seed: u32 = r.gen();
        for (a, step) in [
            (Augment::default(), 0u32),
            (Augment::default(), 7),
            (
                Augment {
                    shift: 4.5,
                    rotate: 180.0,
                    scale: 0.4,
                },
                3,
            ),
            (
                Augment {
                    shift: 0.0,
                    rotate: 0.0,
                    scale: 0.0,
                },
                1,
            ),
        ] {
            let sb = GpuBuffer::from_slice(gpu, "step", &[step]).unwrap();
            let yb = poisoned(x.len());
            let d =
                kernels::augment(gpu, &a, seed, shape, sb.view(), xb.view(), yb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let got = yb.read(gpu).unwrap();
            let want = twin::augment(&a, seed, step, shape, &x);
            assert_close(&format!("augment {a:?} step {step}"), &got, &want, tol);
            if a.shift == 0.0 && a.rotate == 0.0 && a.scale == 0.0 {
                assert_eq!(got, x, "no warp is the identity");
            } else {
                assert!(got != x, "{a:?}: nothing moved");
            }
        }
        let d = Augment::default();
        assert!(twin::augment(&d, seed, 1, shape, &x) != twin::augment(&d, seed, 2, shape, &x));
        // bounds the kernel refuses
        let sb = GpuBuffer::from_slice(gpu, "step", &[0u32]).unwrap();
        let yb = poisoned(x.len());
        for bad in [
            Augment { shift: -1.0, ..d },
            Augment { rotate: 181.0, ..d },
            Augment { scale: 0.5, ..d },
            Augment {
                scale: f32::NAN,
                ..d
            },
        ] {
            assert!(
                kernels::augment(gpu, &bad, seed, shape, sb.view(), xb.view(), yb.view()).is_err()
            );
        }
    });
}
