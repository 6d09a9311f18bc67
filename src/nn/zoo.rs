//! The built-in architectures, by name (`--net`): Caffe's LeNet and a perceptron for MNIST,
//! the same LeNet for Fashion-MNIST, CaffeNet (and its narrow twins) and torchvision's AlexNet for ImageNet.

use super::arch::{Arch, ChannelOrder, Dropout, Layer, Linear, Lrn, Pixels};
use crate::error::{Error, Result};
use crate::kernels::Fused;

/// Caffe's MNIST LeNet (docs/paper.md §5): conv1 20×5×5 → max-pool 2/2 → conv2 50×5×5 →
/// max-pool 2/2 → ip1 500 + ReLU → ip2 10 → softmax; input `(1, 28, 28)` = pixel / 256.
pub fn lenet() -> Arch {
    let conv = |name: &str, out_c| Layer::conv(name, out_c, 5, 1, 0, 1, false);
    let pool = Layer::caffe_max_pool(2, 2);
    Arch::chain(
        "lenet",
        [1, 28, 28],
        Pixels {
            order: ChannelOrder::Grey,
            mean: vec![0.0],
            std: vec![256.0],
        },
        vec![
            conv("conv1", 20),
            pool.clone(),
            conv("conv2", 50),
            pool,
            Layer::Linear(Linear {
                name: "ip1".into(),
                out_f: 500,
                act: Fused::RELU,
            }),
            Layer::Linear(Linear {
                name: "ip2".into(),
                out_f: 10,
                act: Fused::None,
            }),
        ],
        (0..10).map(|d| d.to_string()).collect(),
    )
}

/// The ten Fashion-MNIST classes in label order (Xiao, Rasul and Vollgraf 2017).
pub const FASHION_LABELS: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Caffe's LeNet ([`lenet`]) for Fashion-MNIST: the same layers and input (28×28 grey,
/// pixel / 256), the ten garment classes.
pub fn lenet_fashion() -> Arch {
    let mut a = lenet();
    a.name = "lenet-fashion".into();
    a.labels = FASHION_LABELS.iter().map(|l| l.to_string()).collect();
    a
}

/// A perceptron with two hidden layers for MNIST, the "different architecture, same data" of
/// the transfer experiment (docs/paper.md §7): ip1 500 + ReLU → ip2 300 + ReLU → ip3 10 →
/// softmax; input `(1, 28, 28)` = pixel / 256, as LeNet's.
pub fn mlp() -> Arch {
    let fc = |name: &str, out_f, relu: bool| {
        Layer::Linear(Linear {
            name: name.into(),
            out_f,
            act: relu.into(),
        })
    };
    let lenet = lenet();
    Arch::chain(
        "mlp",
        lenet.input,
        lenet.pixels,
        vec![
            fc("ip1", 500, true),
            fc("ip2", 300, true),
            fc("ip3", 10, false),
        ],
        lenet.labels,
    )
}

/// The 1,000 ILSVRC-2012 class names in output order (data/imagenet_labels.txt).
pub fn imagenet_labels() -> Vec<String> {
    include_str!("../../data/imagenet_labels.txt")
        .lines()
        .map(String::from)
        .collect()
}

/// The BVLC reference CaffeNet (docs/paper.md §5), input `(3, 227, 227)` BGR minus the
/// ILSVRC-2012 per-channel mean: conv1 96×11×11/4 + ReLU → max-pool 3/2 → LRN 5 → conv2
/// 256×5×5 pad 2 groups 2 + ReLU → max-pool 3/2 → LRN 5 → conv3 384×3×3 pad 1 + ReLU → conv4
/// 384×3×3 pad 1 groups 2 + ReLU → conv5 256×3×3 pad 1 groups 2 + ReLU → max-pool 3/2 → fc6
/// 4096 + ReLU → dropout → fc7 4096 + ReLU → dropout → fc8 1000 → softmax.
pub fn caffenet() -> Arch {
    caffenet_narrow(1)
}

/// CaffeNet with every channel count and hidden width divided by `divisor` (and the same
/// geometry, layer kinds and 1000 classes): the small twin the PyTorch fixtures use.
pub fn caffenet_narrow(divisor: usize) -> Arch {
    let d = divisor.max(1);
    let conv = |name: &str, out_c: usize, kernel, stride, pad, groups| {
        Layer::conv(name, out_c / d, kernel, stride, pad, groups, true)
    };
    let pool = || Layer::caffe_max_pool(3, 2);
    let lrn = || {
        Layer::Lrn(Lrn {
            size: 5,
            alpha: 1e-4,
            beta: 0.75,
            k: 1.0,
        })
    };
    let fc = |name: &str, out_f: usize, relu: bool| {
        Layer::Linear(Linear {
            name: name.into(),
            out_f,
            act: relu.into(),
        })
    };
    let name = if d == 1 {
        "caffenet".into()
    } else {
        format!("caffenet/{d}")
    };
    Arch::chain(
        &name,
        [3, 227, 227],
        Pixels {
            order: ChannelOrder::Bgr,
            mean: vec![104.007, 116.669, 122.679],
            std: vec![1.0; 3],
        },
        vec![
            conv("conv1", 96, 11, 4, 0, 1),
            pool(),
            lrn(),
            conv("conv2", 256, 5, 1, 2, 2),
            pool(),
            lrn(),
            conv("conv3", 384, 3, 1, 1, 1),
            conv("conv4", 384, 3, 1, 1, 2),
            conv("conv5", 256, 3, 1, 1, 2),
            pool(),
            fc("fc6", 4096 / d, true),
            Layer::Dropout(Dropout { p: 0.5 }),
            fc("fc7", 4096 / d, true),
            Layer::Dropout(Dropout { p: 0.5 }),
            fc("fc8", 1000, false),
        ],
        imagenet_labels(),
    )
}

/// torchvision's `alexnet` (64/192/384/256/256 channels, no LRN, no groups), input `(3, 224,
/// 224)` RGB normalised by ImageNet's mean and standard deviation as torchvision does
/// (`(pixel/255 − mean) / std`). Layers keep torchvision's names (`features.0`, …,
/// `classifier.6`), so its state dict loads as it is; its adaptive average pool is the
/// identity at this input size (the features are already 6×6) and is left out.
pub fn alexnet() -> Arch {
    let conv = |name: &str, out_c, kernel, stride, pad| {
        Layer::conv(name, out_c, kernel, stride, pad, 1, true)
    };
    let pool = || Layer::caffe_max_pool(3, 2);
    let fc = |name: &str, out_f, relu: bool| {
        Layer::Linear(Linear {
            name: name.into(),
            out_f,
            act: relu.into(),
        })
    };
    Arch::chain(
        "alexnet",
        [3, 224, 224],
        Pixels {
            order: ChannelOrder::Rgb,
            mean: vec![0.485 * 255.0, 0.456 * 255.0, 0.406 * 255.0],
            std: vec![0.229 * 255.0, 0.224 * 255.0, 0.225 * 255.0],
        },
        vec![
            conv("features.0", 64, 11, 4, 2),
            pool(),
            conv("features.3", 192, 5, 1, 2),
            pool(),
            conv("features.6", 384, 3, 1, 1),
            conv("features.8", 256, 3, 1, 1),
            conv("features.10", 256, 3, 1, 1),
            pool(),
            Layer::Dropout(Dropout { p: 0.5 }),
            fc("classifier.1", 4096, true),
            Layer::Dropout(Dropout { p: 0.5 }),
            fc("classifier.4", 4096, true),
            fc("classifier.6", 1000, false),
        ],
        imagenet_labels(),
    )
}

/// The architecture called `name` (as `--net` spells it).
pub fn by_name(name: &str) -> Result<Arch> {
    match name {
        "lenet" => Ok(lenet()),
        "lenet-fashion" => Ok(lenet_fashion()),
        "mlp" => Ok(mlp()),
        "caffenet" => Ok(caffenet()),
        "alexnet" => Ok(alexnet()),
        _ => match name.strip_prefix("caffenet/").map(str::parse::<usize>) {
            Some(Ok(d)) if d >= 1 && 16 % d == 0 => Ok(caffenet_narrow(d)),
            _ => Err(Error::setting("net", format!(
                    "unknown network '{name}' (known: lenet, lenet-fashion, mlp, caffenet, alexnet, and caffenet/N: \
                     CaffeNet at 1/N of its width, N = 2, 4, 8 or 16)"
                ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenet_fashion_is_lenet_with_garment_labels() {
        let (a, b) = (lenet(), by_name("lenet-fashion").unwrap());
        assert_eq!(b.name, "lenet-fashion");
        assert_eq!(
            (a.input, a.params().unwrap()),
            (b.input, b.params().unwrap())
        );
        assert_eq!(b.labels[0], "T-shirt/top");
        assert_eq!(b.labels[9], "Ankle boot");
        assert_eq!(b.num_classes(), 10);
    }

    #[test]
    fn lenet_matches_the_paper() {
        let a = lenet();
        let shapes = a.shapes().unwrap();
        assert_eq!(
            shapes,
            vec![
                [20, 24, 24],
                [20, 12, 12],
                [50, 8, 8],
                [50, 4, 4],
                [500, 1, 1],
                [10, 1, 1]
            ]
        );
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 431_080);
        assert_eq!(a.macs().unwrap(), 2_293_000);
        let names: Vec<_> = a
            .params()
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.shape))
            .collect();
        assert_eq!(names[0], ("conv1.weight".to_string(), vec![20, 1, 5, 5]));
        assert_eq!(names[4], ("ip1.weight".to_string(), vec![500, 800]));
        assert_eq!(names[6], ("ip2.weight".to_string(), vec![10, 500]));
    }

    #[test]
    fn caffenet_matches_the_paper() {
        let a = caffenet();
        let shapes = a.shapes().unwrap();
        assert_eq!(shapes[0], [96, 55, 55]);
        assert_eq!(shapes[1], [96, 27, 27]); // round-up pooling
        assert_eq!(shapes[4], [256, 13, 13]);
        assert_eq!(shapes[9], [256, 6, 6]);
        assert_eq!(*shapes.last().unwrap(), [1000, 1, 1]);
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 60_965_224);
        // docs/paper.md §5: 724 M: the convolutions and fully-connected layers of one crop
        assert_eq!(a.macs().unwrap() / 1_000_000, 724);
        let names: Vec<_> = a
            .params()
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.shape))
            .collect();
        assert_eq!(names[2], ("conv2.weight".to_string(), vec![256, 48, 5, 5]));
        assert_eq!(names[10], ("fc6.weight".to_string(), vec![4096, 9216]));
        assert_eq!(a.labels.len(), 1000);
        assert_eq!(a.labels[0], "tench");
    }

    #[test]
    fn alexnet_matches_torchvision() {
        let a = alexnet();
        let shapes = a.shapes().unwrap();
        assert_eq!(shapes[0], [64, 55, 55]);
        assert_eq!(shapes[7], [256, 6, 6]);
        let n: usize = a.params().unwrap().iter().map(|p| p.len()).sum();
        assert_eq!(n, 61_100_840); // torchvision's count
        let names: Vec<_> = a.params().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names[0], "features.0.weight");
        assert_eq!(names[15], "classifier.6.bias");
    }

    #[test]
    fn unknown_net_is_an_error_naming_the_option() {
        let e = by_name("resnet").unwrap_err().to_string();
        assert!(e.starts_with("net") && e.contains("resnet"), "{e}");
    }
}
