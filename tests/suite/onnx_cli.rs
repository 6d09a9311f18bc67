//! Every command on a user's ONNX model, as a user runs them: `classify` against PyTorch's
//! probabilities on real digits (the shipped LeNet-5 trained by PyTorch), `evolve` (direct
//! with 10 crops on a colour network, CPPN on a grey one) and `ascent` whose saved PNGs
//! re-score through `classify` at the confidences the runs recorded, a resume that refuses
//! a changed model, `transfer` from the shipped LeNet to the PyTorch network, and the
//! commands that take only the built-in networks saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fooling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &std::process::Output) -> String {
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fooling-onnx-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const LENET5: &str = "weights/lenet5_mnist_torch.onnx";
const RESNET: &str = "tests/fixtures/onnx/resnet18.dynamo.onnx";
const MOBILENET: &str = "tests/fixtures/onnx/mobilenet_v2.torchscript.onnx";
const IMAGENET: [&str; 6] = [
    "--mean",
    "0.485,0.456,0.406",
    "--std",
    "0.229,0.224,0.225",
    "--channels",
    "rgb",
];

/// Each PNG's confidences by class, from `classify --json --top` every class.
fn classify(args: &[&str], pngs: &[PathBuf], classes: usize) -> Vec<Vec<f64>> {
    let top = classes.to_string();
    let mut all: Vec<&str> = vec!["classify", "--json", "--top", &top];
    all.extend(args);
    let names: Vec<String> = pngs.iter().map(|p| p.display().to_string()).collect();
    all.extend(names.iter().map(String::as_str));
    ok(&fooling(&all))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let mut p = vec![0.0; classes];
            for t in v["top"].as_array().unwrap() {
                p[t["class"].as_u64().unwrap() as usize] = t["confidence"].as_f64().unwrap();
            }
            p
        })
        .collect()
}

/// A run's `champions.csv`: (class, confidence, PNG).
fn champions(dir: &Path) -> Vec<(usize, f64, PathBuf)> {
    std::fs::read_to_string(dir.join("champions.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[2].parse().unwrap(), dir.join(f[3]))
        })
        .collect()
}

/// Every champion of `dir` re-scored by `classify` with `args` at its recorded confidence.
fn rescore(dir: &Path, args: &[&str], classes: usize) {
    let champs = champions(dir);
    let pngs: Vec<PathBuf> = champs.iter().map(|c| c.2.clone()).collect();
    let got = classify(args, &pngs, classes);
    for ((class, want, png), p) in champs.iter().zip(&got) {
        assert!(
            (p[*class] - want).abs() <= 1e-6 * want.max(1e-30) + 1e-12,
            "{}: class {class}: classify {} vs recorded {want}",
            png.display(),
            p[*class]
        );
    }
}

#[test]
fn classify_a_pytorch_model_gives_pytorchs_probabilities() {
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/lenet5_mnist_torch_digits.json"))
            .unwrap(),
    )
    .unwrap();
    let pngs: Vec<PathBuf> = (0..10)
        .map(|d| PathBuf::from(format!("data/digits/digit{d}.png")))
        .collect();
    let got = classify(&["--net", LENET5], &pngs, 10);
    for (png, p) in pngs.iter().zip(&got) {
        let name = png.file_name().unwrap().to_str().unwrap();
        let w: Vec<f64> = want[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for k in 0..10 {
            assert!(
                (p[k] - w[k]).abs() <= 1e-4,
                "{name} class {k}: {} vs PyTorch {}",
                p[k],
                w[k]
            );
        }
    }
    // the preprocessing it used, from the model's sidecar
    let out = ok(&fooling(&[
        "classify",
        "--net",
        LENET5,
        "data/digits/digit7.png",
    ]));
    assert!(
        out.starts_with(
            "preprocessing: x = (pixel/255 - mean) / std, mean 0.1307 std 0.3081, channels grey"
        ),
        "{out}"
    );
}

#[test]
fn evolve_and_ascent_on_onnx_models_rescore_through_classify() {
    // direct encoding, colour genomes at 74×74 for a 64×64 network, 10 crops; resumed
    let dir = scratch("evolve");
    let d = dir.to_str().unwrap();
    ok(&fooling(&[
        "evolve",
        "--net",
        RESNET,
        "--generations",
        "2",
        "--batch",
        "6",
        "--out",
        d,
    ]));
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    for want in [
        "[preprocess]",
        "channels = \"rgb\"",
        "size = 74",
        "crops = 10",
        "weights_sha256",
    ] {
        assert!(config.contains(want), "config.toml lacks {want}: {config}");
    }
    ok(&fooling(&["evolve", "--resume", d, "--generations", "3"]));
    rescore(&dir, &["--net", RESNET, "--crops", "10"], 10);
    // a model that changed since the run started is refused on resume
    let copy = scratch("model");
    std::fs::create_dir_all(&copy).unwrap();
    let model = copy.join("m.onnx");
    std::fs::copy(root().join(MOBILENET), &model).unwrap();
    let run = copy.join("run");
    let mut args = vec![
        "evolve",
        "--net",
        model.to_str().unwrap(),
        "--generations",
        "1",
    ];
    args.extend([
        "--batch",
        "4",
        "--crops",
        "1",
        "--out",
        run.to_str().unwrap(),
    ]);
    args.extend(IMAGENET);
    ok(&fooling(&args));
    std::fs::copy(
        root().join("tests/fixtures/onnx/efficientnet_b0.torchscript.onnx"),
        &model,
    )
    .unwrap();
    let e = refused(&fooling(&[
        "evolve",
        "--resume",
        run.to_str().unwrap(),
        "--generations",
        "2",
    ]));
    assert!(e.contains("m.onnx") && e.contains("changed"), "{e}");
    // CPPNs on a grey network with a mean (the PyTorch LeNet-5)
    let cppn = scratch("cppn");
    ok(&fooling(&[
        "evolve",
        "--net",
        LENET5,
        "--encoding",
        "cppn",
        "--generations",
        "3",
        "--batch",
        "20",
        "--out",
        cppn.to_str().unwrap(),
    ]));
    rescore(&cppn, &["--net", LENET5], 10);
    // gradient ascent on a colour network with a per-channel standard deviation
    let ascent = scratch("ascent");
    let mut args = vec![
        "ascent",
        "--net",
        MOBILENET,
        "--iterations",
        "5",
        "--classes",
        "1,4",
    ];
    args.extend(["--out", ascent.to_str().unwrap()]);
    args.extend(IMAGENET);
    ok(&fooling(&args));
    let mut args = vec!["--net", MOBILENET];
    args.extend(IMAGENET);
    rescore(&ascent, &args, 10);
    for d in [dir, copy, cppn, ascent] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn transfer_to_a_pytorch_model_and_the_commands_that_refuse_onnx() {
    let dir = scratch("transfer");
    let d = dir.to_str().unwrap();
    ok(&fooling(&[
        "evolve",
        "--generations",
        "3",
        "--batch",
        "20",
        "--out",
        d,
    ]));
    let out = ok(&fooling(&["transfer", "--run", d, "--net", LENET5]));
    assert!(out.contains("on lenet5_mnist_torch "), "{out}");
    let csv = std::fs::read_to_string(dir.join("transfer-lenet5_mnist_torch.csv")).unwrap();
    let champs = champions(&dir);
    let pngs: Vec<PathBuf> = champs.iter().map(|c| c.2.clone()).collect();
    let got = classify(&["--net", LENET5], &pngs, 10);
    for (row, p) in csv.lines().skip(1).zip(&got) {
        let f: Vec<&str> = row.split(',').collect();
        let (class, target): (usize, f64) = (f[0].parse().unwrap(), f[3].parse().unwrap());
        assert!(
            (p[class] - target).abs() <= 1e-6 * target.max(1e-30) + 1e-12,
            "{row}"
        );
    }
    // the commands that take only the built-in networks, and --weights for a model
    for (args, wants) in [
        (
            vec!["retrain", "--net", LENET5, "--out", "/tmp/never"],
            "retrain takes the built-in",
        ),
        (
            vec!["train", "--net", LENET5, "--out", "/tmp/never.safetensors"],
            "train takes the built-in",
        ),
        (
            vec![
                "classify",
                "--net",
                LENET5,
                "--weights",
                "weights/lenet_mnist.safetensors",
                "data/digits/digit0.png",
            ],
            "carries its own weights",
        ),
        (
            vec!["classify", "--mean", "0.5", "data/digits/digit0.png"],
            "--mean: is for ONNX models",
        ),
        (
            vec![
                "classify",
                "--net",
                LENET5,
                "--input-size",
                "28",
                "data/digits/digit0.png",
            ],
            "--input-size",
        ),
    ] {
        let e = refused(&fooling(&args));
        assert!(e.contains(wants), "{args:?}: {e}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A batch larger than a plan's chunks of 64 can take (a network of which fewer than 64
/// images fit one binding, here LeNet under a 1 MB binding: 21) is classified a plan at a
/// time, to the same confidences as in one batch.
#[test]
fn a_batch_past_the_binding_is_classified_in_plans() {
    let digits: Vec<String> = (0..100)
        .map(|i| format!("data/digits/digit{}.png", i % 10))
        .collect();
    let mut args = vec!["classify", "--top", "2"];
    args.extend(digits.iter().map(String::as_str));
    let whole = ok(&fooling(&args));
    let mut small = vec!["--max-binding", "1000000"];
    small.extend(&args);
    assert_eq!(ok(&fooling(&small)), whole);
    assert_eq!(
        whole
            .lines()
            .filter(|l| l.starts_with("data/digits"))
            .count(),
        100,
        "{whole}"
    );
}

/// A colour network whose input is not square (PaddleOCR-style, 3×48×96): genomes at its own
/// aspect ratio with the crops' margin (55×110), direct with 10 crops and CPPNs with one;
/// each champion's PNG re-scores through `classify --crops` to its recorded confidence, and
/// `ablate` takes the run.
#[test]
fn a_non_square_colour_network_evolves() {
    let net = root().join("tests/fixtures/onnx/paddle/textcls.onnx");
    let net = net.to_str().unwrap();
    for (encoding, crops) in [("direct", "10"), ("cppn", "1")] {
        let dir = scratch(&format!("wide-{encoding}"));
        let d = dir.to_str().unwrap();
        ok(&fooling(&[
            "evolve",
            "--net",
            net,
            "--encoding",
            encoding,
            "--crops",
            crops,
            "--generations",
            "2",
            "--batch",
            "6",
            "--out",
            d,
        ]));
        let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
        assert!(
            config.contains("size = 110") && config.contains("height = 55"),
            "{config}"
        );
        let champs = champions(&dir);
        assert_eq!(champs.len(), 2);
        for (_, _, png) in &champs {
            let img = image::open(png).unwrap();
            assert_eq!((img.width(), img.height()), (110, 55), "{}", png.display());
        }
        rescore(&dir, &["--net", net, "--crops", crops], 2);
        ok(&fooling(&["ablate", "--run", d]));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A label with a comma and quotes (as ImageNet's have: "tench, Tinca tinca") is kept whole
/// through a run's `champions.csv`, a merge, a transfer, an ablation and the report.
#[test]
fn labels_with_commas_and_quotes_survive_every_file() {
    let dir = scratch("labels");
    std::fs::create_dir_all(&dir).unwrap();
    let labels = dir.join("labels.txt");
    let names: Vec<String> = (0..10).map(|d| format!("digit {d}, \"the {d}\"")).collect();
    std::fs::write(&labels, names.join("\n")).unwrap();
    let run = dir.join("run");
    let l = labels.to_str().unwrap();
    ok(&fooling(&[
        "evolve",
        "--net",
        LENET5,
        "--labels",
        l,
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        run.to_str().unwrap(),
    ]));
    let read = |d: &Path| -> Vec<String> {
        fooling::rundir::champions::read(d)
            .unwrap()
            .into_iter()
            .map(|c| c.label)
            .collect()
    };
    assert_eq!(read(&run), names, "champions.csv");
    let merged = dir.join("merged");
    ok(&fooling(&[
        "merge",
        "--out",
        merged.to_str().unwrap(),
        run.to_str().unwrap(),
    ]));
    assert_eq!(read(&merged), names, "the merge's champions.csv");
    ok(&fooling(&[
        "transfer",
        "--run",
        run.to_str().unwrap(),
        "--weights",
        "weights/lenet_mnist.safetensors",
    ]));
    ok(&fooling(&["ablate", "--run", run.to_str().unwrap()]));
    let report = dir.join("report.html");
    ok(&fooling(&[
        "report",
        "--out",
        report.to_str().unwrap(),
        run.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("digit 7, &quot;the 7&quot;") || html.contains("digit 7, &#34;the 7&#34;"),
        "the report shows the label whole"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
