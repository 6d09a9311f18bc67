//! The kernels that graphs of layers need beyond the built-in chains (ONNX models): general
//! convolutions (rectangular strides, asymmetric padding, dilations, depthwise groups),
//! pooling rounded down and padded unevenly, average pooling, element-wise activations,
//! broadcast products, per-channel affine maps and sums. Each against its CPU twin on fresh
//! random inputs with the output poisoned first, and each backward twin against central
//! finite differences of its forward twin.

use crate::common::{
    assert_close, for_each_seed, gpu, gpus_for_each_variant, poisoned, uniform, up, F32_DOT,
    F32_ELEMENTWISE,
};
use fooling::kernels::{self, Activation, Broadcast, Conv2dShape, Pool2dShape};
use fooling::reference as twin;
use rand::Rng;

/// Checks `analytic` = d(Σ r·f(x))/dx at 24 random coordinates by central differences.
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

/// Convolutions of the shapes ONNX models hold and Caffe's never did.
fn general_convs() -> Vec<Conv2dShape> {
    let base = Conv2dShape::square(2, [4, 11, 9], 6, 3, 1, 0, 1);
    vec![
        // asymmetric padding (TensorFlow's SAME with an even kernel), strides 2 × 1
        Conv2dShape {
            pad: [0, 1, 1, 2],
            stride: [2, 1],
            kh: 2,
            kw: 4,
            ..base
        },
        // dilation 2 × 3 with padding
        Conv2dShape {
            pad: [2, 3, 2, 3],
            dilation: [2, 3],
            ..base
        },
        // depthwise: one group per channel, channel multiplier 2, stride 2 (MobileNet's)
        Conv2dShape {
            in_c: 6,
            out_c: 12,
            groups: 6,
            stride: [2, 2],
            pad: [1; 4],
            ..base
        },
        // a 1 × 1 projection with stride 2 (ResNet's downsampling shortcut)
        Conv2dShape {
            kh: 1,
            kw: 1,
            stride: [2, 2],
            ..base
        },
        // padding wider than the window (every output of a border row is the bias)
        Conv2dShape {
            pad: [3, 0, 0, 3],
            ..base
        },
    ]
}

#[test]
fn general_conv2d_matches_twin_forward_and_backward() {
    for gpu in gpus_for_each_variant() {
        for_each_seed("general conv2d", &[], |r| {
            for s in general_convs() {
                s.validate().unwrap();
                let x = uniform(r, s.input_len(), -1.0, 1.0);
                let w = uniform(r, s.weight_len(), -0.5, 0.5);
                let b = uniform(r, s.out_c, -0.5, 0.5);
                let buf = |v: &[f32]| fooling::gpu::GpuBuffer::from_slice(gpu, "in", v).unwrap();
                let (xb, wb, bb) = (buf(&x), buf(&w), buf(&b));
                let y = fooling::gpu::GpuBuffer::<f32>::zeros(gpu, "y", s.output_len()).unwrap();
                y.fill(gpu, f32::NAN);
                let d =
                    kernels::conv2d_fwd(gpu, &s, true, xb.view(), wb.view(), bb.view(), y.view())
                        .unwrap();
                gpu.run(&[&d]).unwrap();
                let what = format!("conv2d_fwd ({:?}) {s:?}", gpu.variant);
                assert_close(
                    &what,
                    &y.read(gpu).unwrap(),
                    &twin::conv2d_fwd(&s, true, &x, &w, &b),
                    F32_DOT,
                );
            }
        });
    }
    let gpu = gpu();
    for_each_seed("general conv2d backward", &[], |r| {
        for s in general_convs() {
            let x = uniform(r, s.input_len(), -1.0, 1.0);
            let w = uniform(r, s.weight_len(), -0.5, 0.5);
            let dy = uniform(r, s.output_len(), -1.0, 1.0);
            let (dx, dw) = (poisoned(s.input_len()), poisoned(s.weight_len()));
            let (dyb, wb, xb) = (up(&dy), up(&w), up(&x));
            let d1 = kernels::conv2d_bwd_input(gpu, &s, dyb.view(), wb.view(), dx.view()).unwrap();
            let d2 = kernels::conv2d_bwd_weight(gpu, &s, dyb.view(), xb.view(), dw.view()).unwrap();
            gpu.run(&[&d1, &d2]).unwrap();
            let want_dx = twin::conv2d_bwd_input(&s, &dy, &w);
            let want_dw = twin::conv2d_bwd_weight(&s, &dy, &x);
            assert_close(
                &format!("conv2d_bwd_input {s:?}"),
                &dx.read(gpu).unwrap(),
                &want_dx,
                F32_DOT,
            );
            assert_close(
                &format!("conv2d_bwd_weight {s:?}"),
                &dw.read(gpu).unwrap(),
                &want_dw,
                F32_DOT,
            );
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

/// Poolings of ONNX models: rounded down or up, uneven padding, rectangular windows.
fn general_pools() -> Vec<Pool2dShape> {
    let base = Pool2dShape::caffe(3, 9, 10, 3, 2, 1);
    vec![
        Pool2dShape {
            ceil: false,
            ..base
        }, // PyTorch's default: rounded down
        base, // ceil_mode
        Pool2dShape {
            kernel: [2, 3],
            stride: [1, 2],
            pad: [0, 1, 1, 0],
            ceil: false,
            ..base
        },
        Pool2dShape {
            kernel: [3, 3],
            stride: [2, 2],
            pad: [1, 0, 2, 1],
            ceil: true,
            ..base
        },
        // global: one window over the plane
        Pool2dShape {
            kernel: [9, 10],
            stride: [9, 10],
            pad: [0; 4],
            ceil: false,
            ..base
        },
    ]
}

#[test]
fn general_pools_match_twins_forward_and_backward() {
    let gpu = gpu();
    for_each_seed("general pools", &[], |r| {
        // PyTorch's sizes: floor((9 + 2 − 3) / 2) + 1 = 5; ceil → 5, and 10 → 5 / 6
        assert_eq!(
            (general_pools()[0].out_h(), general_pools()[0].out_w()),
            (5, 5)
        );
        assert_eq!(
            (general_pools()[1].out_h(), general_pools()[1].out_w()),
            (5, 6)
        );
        for s in general_pools() {
            s.validate().unwrap();
            let x = uniform(r, s.input_len(), -1.0, 1.0);
            let dy = uniform(r, s.output_len(), -1.0, 1.0);
            // max
            let (y, arg) = (poisoned(s.output_len()), GpuBufferU32::new(s.output_len()));
            let (xb, dyb) = (up(&x), up(&dy));
            let d = kernels::maxpool2d_fwd(gpu, &s, xb.view(), y.view(), arg.0.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let (want_y, want_arg) = twin::maxpool2d_fwd(&s, &x);
            assert_eq!(y.read(gpu).unwrap(), want_y, "maxpool2d_fwd {s:?}");
            assert_eq!(
                arg.0.read(gpu).unwrap(),
                want_arg,
                "maxpool2d_fwd arg {s:?}"
            );
            let dx = poisoned(s.input_len());
            let d = kernels::maxpool2d_bwd(gpu, &s, dyb.view(), arg.0.view(), dx.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let want_dx = twin::maxpool2d_bwd(&s, &dy, &want_arg);
            assert_close(
                &format!("maxpool2d_bwd {s:?}"),
                &dx.read(gpu).unwrap(),
                &want_dx,
                F32_ELEMENTWISE,
            );
            // average, both divisors
            for count_pad in [false, true] {
                let y = poisoned(s.output_len());
                let d = kernels::avgpool2d_fwd(gpu, &s, count_pad, xb.view(), y.view()).unwrap();
                gpu.run(&[&d]).unwrap();
                let what = format!("avgpool2d count_pad {count_pad} {s:?}");
                let want = twin::avgpool2d_fwd(&s, count_pad, &x);
                assert_close(&what, &y.read(gpu).unwrap(), &want, F32_DOT);
                let dx = poisoned(s.input_len());
                let d = kernels::avgpool2d_bwd(gpu, &s, count_pad, dyb.view(), dx.view()).unwrap();
                gpu.run(&[&d]).unwrap();
                let want_dx = twin::avgpool2d_bwd(&s, count_pad, &dy);
                assert_close(
                    &format!("{what} backward"),
                    &dx.read(gpu).unwrap(),
                    &want_dx,
                    F32_DOT,
                );
                check_fd(
                    &what,
                    &x,
                    &dy,
                    |x| twin::avgpool2d_fwd(&s, count_pad, x),
                    &want_dx,
                    1e-2,
                    r,
                );
            }
        }
        // the divisor with the padding counted: a corner window of a 3×3/2 pool padded by 1
        // covers 4 pixels of the image and 9 of the padded input
        let s = Pool2dShape::caffe(1, 4, 4, 3, 2, 1);
        let ones = vec![1.0; 16];
        assert_eq!(twin::avgpool2d_fwd(&s, false, &ones)[0], 1.0);
        assert_eq!(twin::avgpool2d_fwd(&s, true, &ones)[0], 4.0 / 9.0);
    });
}

/// A u32 output buffer poisoned with `u32::MAX`.
struct GpuBufferU32(fooling::gpu::GpuBuffer<u32>);

impl GpuBufferU32 {
    fn new(n: usize) -> GpuBufferU32 {
        let b = fooling::gpu::GpuBuffer::<u32>::zeros(gpu(), "u32 out", n).unwrap();
        b.fill(gpu(), u32::MAX);
        GpuBufferU32(b)
    }
}

const ACTIVATIONS: [Activation; 7] = [
    Activation::Relu,
    Activation::LeakyRelu { alpha: 0.1 },
    Activation::Clip { lo: 0.0, hi: 6.0 },
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::HardSigmoid {
        alpha: 0.2,
        beta: 0.5,
    },
    Activation::HardSwish,
];

#[test]
fn activations_match_twins_forward_and_backward() {
    let gpu = gpu();
    for_each_seed("activations", &[], |r| {
        // inputs over every regime (and far past where exp and tanh overflow), kept off the
        // kinks by the finite differences' step
        let mut x = uniform(r, 1031, -8.0, 8.0);
        x.extend([-1e4, -100.0, 100.0, 1e4, 0.5, -0.5]);
        let dy = uniform(r, x.len(), -1.0, 1.0);
        for f in ACTIVATIONS {
            let y = poisoned(x.len());
            let (xb, dyb) = (up(&x), up(&dy));
            let d = kernels::act_fwd(gpu, f, xb.view(), y.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let got = y.read(gpu).unwrap();
            assert!(
                got.iter().all(|v| v.is_finite()),
                "{f:?}: a non-finite output"
            );
            assert_close(
                &format!("act_fwd {f:?}"),
                &got,
                &twin::act_fwd(f, &x),
                F32_ELEMENTWISE,
            );
            let dx = poisoned(x.len());
            let d = kernels::act_bwd(gpu, f, xb.view(), dyb.view(), dx.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::act_bwd(f, &x, &dy);
            assert_close(
                &format!("act_bwd {f:?}"),
                &dx.read(gpu).unwrap(),
                &want,
                F32_ELEMENTWISE,
            );
            // away from the kinks (0, ±3, 6, ±2.5), the twin's derivative is the forward's slope
            let smooth: Vec<f32> = x
                .iter()
                .map(|&v| v.clamp(-7.0, 7.0))
                .filter(|v| {
                    [0.0f32, 3.0, -3.0, 6.0, 2.5, -2.5]
                        .iter()
                        .all(|k| (v - k).abs() > 0.05)
                })
                .collect();
            let r2 = uniform(r, smooth.len(), -1.0, 1.0);
            let want = twin::act_bwd(f, &smooth, &r2);
            check_fd(
                &format!("act {f:?}"),
                &smooth,
                &r2,
                |x| twin::act_fwd(f, x),
                &want,
                1e-3,
                r,
            );
        }
    });
}

#[test]
fn products_affine_maps_and_sums_match_twins() {
    let gpu = gpu();
    for_each_seed("products", &[], |r| {
        let (batch, c, hw) = (3, 5, 7 * 6);
        let n = batch * c * hw;
        let a = uniform(r, n, -1.0, 1.0);
        let dy = uniform(r, n, -1.0, 1.0);
        // the same shape, one factor per image and channel (squeeze-excitation), one per channel
        for s in [
            Broadcast::same(n),
            Broadcast {
                n,
                inner: hw,
                b_len: batch * c,
            },
            Broadcast {
                n,
                inner: hw,
                b_len: c,
            },
        ] {
            let m = uniform(r, s.b_len, -2.0, 2.0);
            let y = poisoned(n);
            let (ab, mb, dyb) = (up(&a), up(&m), up(&dy));
            let d = kernels::mul_fwd(gpu, &s, ab.view(), mb.view(), y.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            assert_close(
                &format!("mul_fwd {s:?}"),
                &y.read(gpu).unwrap(),
                &twin::mul_fwd(&s, &a, &m),
                F32_ELEMENTWISE,
            );
            if s.b_len * s.inner == n {
                let dm = poisoned(s.b_len);
                let d = kernels::mul_bwd_b(gpu, &s, dyb.view(), ab.view(), dm.view()).unwrap();
                gpu.run(&[&d]).unwrap();
                let want = twin::mul_bwd_b(&s, &dy, &a);
                assert_close(
                    &format!("mul_bwd_b {s:?}"),
                    &dm.read(gpu).unwrap(),
                    &want,
                    F32_DOT,
                );
                check_fd(
                    "mul db",
                    &m,
                    &dy,
                    |m| twin::mul_fwd(&s, &a, m),
                    &want,
                    1e-2,
                    r,
                );
            }
            let shift = uniform(r, s.b_len, -1.0, 1.0);
            if s.inner == hw && s.b_len == c {
                let y = poisoned(n);
                let tb = up(&shift);
                let d = kernels::affine_fwd(gpu, &s, ab.view(), mb.view(), tb.view(), y.view())
                    .unwrap();
                gpu.run(&[&d]).unwrap();
                let want = twin::affine_fwd(&s, &a, &m, &shift);
                assert_close("affine_fwd", &y.read(gpu).unwrap(), &want, F32_ELEMENTWISE);
                // its input gradient is mul_fwd(dy, scale)
                let dx = twin::mul_fwd(&s, &dy, &m);
                check_fd(
                    "affine dx",
                    &a,
                    &dy,
                    |x| twin::affine_fwd(&s, x, &m, &shift),
                    &dx,
                    1e-2,
                    r,
                );
            }
        }
        let b = uniform(r, n, -1.0, 1.0);
        let y = poisoned(n);
        let (ab, bb, short) = (up(&a), up(&b), up(&b[..n - 1]));
        let d = kernels::add_fwd(gpu, ab.view(), bb.view(), y.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        assert_close(
            "add_fwd",
            &y.read(gpu).unwrap(),
            &twin::add_fwd(&a, &b),
            F32_ELEMENTWISE,
        );
        // shapes that do not fit are refused
        let zero_inner = Broadcast {
            n,
            inner: 0,
            b_len: n,
        };
        assert!(kernels::mul_fwd(gpu, &zero_inner, ab.view(), bb.view(), y.view()).is_err());
        assert!(kernels::add_fwd(gpu, ab.view(), short.view(), y.view()).is_err());
    });
}

#[test]
fn finite_check_marks_infinities_nans_and_values_past_a_limit() {
    let gpu = gpu();
    for_each_seed("finite_check", &[], |r| {
        // lengths of whole vec4s (the vec4 form: one workgroup, several, a ragged last one)
        // and not (the scalar form)
        for (n, bad) in [1000, 4096, 4100, 4101, 3].into_iter().flat_map(|n| {
            [
                None,
                Some(f32::INFINITY),
                Some(f32::NEG_INFINITY),
                Some(f32::NAN),
            ]
            .map(|b| (n, b))
        }) {
            let mut x = uniform(r, n, -1e38, 1e38);
            if let Some(v) = bad {
                let at = r.gen_range(0..x.len());
                x[at] = v;
            }
            let flags = fooling::gpu::GpuBuffer::<u32>::zeros(gpu, "flags", 3).unwrap();
            let xb = up(&x);
            let d = kernels::finite_check(gpu, xb.view(), flags.view(), 1, f32::MAX).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::finite_check(&x, f32::MAX) as u32;
            assert_eq!(want, bad.is_some() as u32);
            assert_eq!(flags.read(gpu).unwrap(), vec![0, want, 0], "{n}: {bad:?}");
            // a limit: values within it pass, one past it (of either sign) does not
            let mut small = uniform(r, n, -2.0, 2.0);
            let past = [None, Some(2.5), Some(-2.5), Some(2.0)][r.gen_range(0..4)];
            if let Some(v) = past {
                small[r.gen_range(0..n)] = v;
            }
            flags.fill(gpu, 0);
            let xb = up(&small);
            let d = kernels::finite_check(gpu, xb.view(), flags.view(), 2, 2.0).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::finite_check(&small, 2.0) as u32;
            assert_eq!(want, matches!(past, Some(v) if v.abs() > 2.0) as u32);
            assert_eq!(flags.read(gpu).unwrap(), vec![0, 0, want], "{n}: {past:?}");
        }
        let (xb, flags) = (up(&[0.0]), up(&[0.0]));
        assert!(kernels::finite_check(gpu, xb.view(), flags.view(), 1, f32::MAX).is_err());
    });
}

#[test]
fn peak_kernels_match_twins() {
    let gpu = gpu();
    let out = poisoned(1000);
    let d = kernels::peak_fma(gpu, 300, out.view()).unwrap();
    gpu.run(&[&d]).unwrap();
    let want = twin::peak_fma(1000, 300);
    // a contracting recurrence (|m| < 1): f32's rounding stays within a few ULPs of its limit
    let tol = crate::common::Tol {
        rel: 1e-4,
        abs: 1e-6,
    };
    assert_close("peak_fma", &out.read(gpu).unwrap(), &want, tol);
    assert_eq!(kernels::peak_flop(300), 300.0 * 32.0);
    for_each_seed("peak_copy", &[], |r| {
        let src = uniform(r, 4096, -1.0, 1.0);
        let (sb, db) = (up(&src), poisoned(4096));
        let d = kernels::peak_copy(gpu, sb.view(), db.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        assert_eq!(db.read(gpu).unwrap(), twin::peak_copy(&src));
        assert!(kernels::peak_copy(gpu, sb.slice(0, 4095), db.slice(0, 4095)).is_err());
        // the convolution-shaped ceiling: 1,000 invocations (the last workgroup partial) over a
        // table smaller than their reach, so indices wrap
        let table = uniform(r, 2048, 0.0, 1.0);
        let (tb, out) = (up(&table), poisoned(1000));
        let d = kernels::peak_gather(gpu, 50, tb.view(), out.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let tol = crate::common::Tol {
            rel: 1e-5,
            abs: 1e-6,
        };
        assert_close(
            "peak_gather",
            &out.read(gpu).unwrap(),
            &twin::peak_gather(&table, 1000, 50),
            tol,
        );
        assert_eq!(kernels::gather_flop(50), 50.0 * 32.0);
        assert!(kernels::peak_gather(gpu, 50, tb.slice(0, 2000), out.view()).is_err());
    });
}

/// Depthwise convolutions (one input channel per output channel, as MobileNets have them) on
/// their own kernels against their twins, outputs poisoned: strides, asymmetric padding,
/// dilations, a channel multiplier of 2, widths that are not a multiple of 4; and the twins
/// against the general convolution's.
#[test]
fn depthwise_convolutions_match_twins() {
    use fooling::kernels::{self, Conv2dShape, Fused};
    use fooling::reference as twin;
    for_each_seed("depthwise", &[], |r| {
        let dw = |x: [usize; 4],
                  mult: usize,
                  k: [usize; 2],
                  stride: [usize; 2],
                  pad: [usize; 4],
                  dilation: [usize; 2]| Conv2dShape {
            batch: x[0],
            in_c: x[1],
            in_h: x[2],
            in_w: x[3],
            out_c: x[1] * mult,
            kh: k[0],
            kw: k[1],
            stride,
            pad,
            dilation,
            groups: x[1],
        };
        let shapes = [
            dw([2, 8, 14, 14], 1, [3, 3], [1, 1], [1; 4], [1, 1]), // MobileNetV2's 3x3
            dw([1, 6, 15, 17], 1, [3, 3], [2, 2], [0, 1, 1, 0], [1, 1]), // stride 2, uneven pads
            dw([3, 5, 11, 9], 2, [5, 3], [1, 2], [2, 1, 2, 1], [2, 1]), // multiplier 2, dilated
            dw([1, 3, 7, 7], 1, [7, 7], [1, 1], [3; 4], [1, 1]),
            // rows a multiple of 4 wide: the generated row-window kernel (vec4 loads)
            dw([2, 8, 12, 20], 1, [3, 3], [1, 1], [1; 4], [1, 1]), // 3 pieces of 8 a row
            dw([1, 6, 16, 16], 1, [3, 3], [2, 2], [0, 0, 1, 1], [1, 1]), // TensorFlow's s2
            dw([1, 6, 15, 16], 1, [3, 3], [2, 2], [1; 4], [1, 1]), // PyTorch's s2
            dw([2, 4, 9, 12], 2, [5, 5], [1, 1], [2; 4], [1, 1]),  // 5x5, multiplier 2
            dw([1, 5, 11, 8], 1, [3, 3], [1, 1], [2, 3, 2, 3], [2, 2]), // dilated, pad 3
            dw([1, 3, 6, 4], 1, [5, 3], [1, 2], [2, 1, 2, 1], [1, 1]), // narrower than a piece
            // other rows: the generated kernel's scalar rows, a row (up to 16) an invocation
            dw([2, 8, 10, 10], 1, [3, 3], [1, 1], [1; 4], [1, 1]), // MobileNetV2 160²'s 10x10
            dw([1, 6, 10, 10], 1, [3, 3], [2, 2], [0, 0, 1, 1], [1, 1]), // TensorFlow's s2 to 5
            dw([1, 3, 5, 37], 1, [3, 3], [1, 1], [1; 4], [1, 1]),  // rows of 16, 16 and 5
            // past the generated kernel's window: depthwise2d_fwd
            dw([1, 2, 15, 9], 1, [13, 3], [1, 1], [6, 1, 6, 1], [1, 1]),
        ];
        for (i, s) in shapes.into_iter().enumerate() {
            // a ReLU, a ReLU capped low enough to cap many outputs (ReLU6's form), none
            let act = [Fused::RELU, Fused::Relu(0.5), Fused::None][i % 3];
            for gpu in gpus_for_each_variant() {
                let x = uniform(r, s.input_len(), -1.0, 1.0);
                let w = uniform(r, s.weight_len(), -1.0, 1.0);
                let b = uniform(r, s.out_c, -1.0, 1.0);
                let dy = uniform(r, s.output_len(), -1.0, 1.0);
                let put = |v: &[f32]| fooling::gpu::GpuBuffer::from_slice(gpu, "in", v).unwrap();
                let nan = |n| {
                    let o = fooling::gpu::GpuBuffer::<f32>::zeros(gpu, "out", n).unwrap();
                    o.fill(gpu, f32::NAN);
                    o
                };
                let (xb, wb, bb, dyb) = (put(&x), put(&w), put(&b), put(&dy));
                let (yb, dxb) = (nan(s.output_len()), nan(s.input_len()));
                let f =
                    kernels::conv2d_fwd(gpu, &s, act, xb.view(), wb.view(), bb.view(), yb.view())
                        .unwrap();
                let g =
                    kernels::conv2d_bwd_input(gpu, &s, dyb.view(), wb.view(), dxb.view()).unwrap();
                gpu.run(&[&f, &g]).unwrap();
                let want_y = twin::depthwise2d_fwd(&s, act, &x, &w, &b);
                let want_dx = twin::depthwise2d_bwd_input(&s, &dy, &w);
                let what = format!("({:?}) {s:?} {act:?}", gpu.variant);
                assert_close(
                    &format!("depthwise fwd {what}"),
                    &yb.read(gpu).unwrap(),
                    &want_y,
                    F32_DOT,
                );
                assert_close(
                    &format!("depthwise bwd_input {what}"),
                    &dxb.read(gpu).unwrap(),
                    &want_dx,
                    F32_DOT,
                );
                // the depthwise twins are the general convolution's
                assert_close(
                    "twins",
                    &want_y,
                    &twin::conv2d_fwd(&s, act, &x, &w, &b),
                    F32_DOT,
                );
                assert_close(
                    "twins",
                    &want_dx,
                    &twin::conv2d_bwd_input(&s, &dy, &w),
                    F32_DOT,
                );
            }
        }
    });
}

/// Constant padding (ONNX's Pad where no convolution takes it) and its gradient against their
/// twins, outputs poisoned; the twin's gradient against finite differences of its forward.
#[test]
fn padding_matches_twins_forward_and_backward() {
    use fooling::kernels::{self, Pad2d};
    use fooling::reference as twin;
    let gpu = gpu();
    for_each_seed("pad2d", &[], |r| {
        for s in [
            Pad2d {
                planes: 6,
                h: 5,
                w: 7,
                pad: [1, 2, 0, 3],
                value: 0.0,
            },
            Pad2d {
                planes: 1,
                h: 1,
                w: 1,
                pad: [2, 2, 2, 2],
                value: -1.5,
            },
            Pad2d {
                planes: 40,
                h: 9,
                w: 4,
                pad: [0, 0, 1, 0],
                value: 0.25,
            },
        ] {
            let x = uniform(r, s.planes * s.h * s.w, -1.0, 1.0);
            let dy = uniform(r, s.planes * s.out_h() * s.out_w(), -1.0, 1.0);
            let (xb, dyb) = (up(&x), up(&dy));
            let (yb, dxb) = (poisoned(dy.len()), poisoned(x.len()));
            let f = kernels::pad2d_fwd(gpu, &s, xb.view(), yb.view()).unwrap();
            let g = kernels::pad2d_bwd(gpu, &s, dyb.view(), dxb.view()).unwrap();
            gpu.run(&[&f, &g]).unwrap();
            let want_y = twin::pad2d_fwd(&s, &x);
            let want_dx = twin::pad2d_bwd(&s, &dy);
            assert_eq!(yb.read(gpu).unwrap(), want_y, "pad2d_fwd {s:?}");
            assert_eq!(dxb.read(gpu).unwrap(), want_dx, "pad2d_bwd {s:?}");
            check_fd(
                "pad2d",
                &x,
                &dy,
                |x| twin::pad2d_fwd(&s, x),
                &want_dx,
                1e-3,
                r,
            );
        }
    });
}
