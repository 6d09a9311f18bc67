//! `fooling report`'s page: one self-contained HTML file for a [`Summary`] of runs: the
//! paper's results (docs/paper.md §8) beside ours with the commands that made ours,
//! confidence over generations (median and quartiles across runs, overall and per class) as
//! inline SVG, a grid of classes, galleries as embedded thumbnails, the transfer, ablation
//! and retraining tables. Rendering only: every figure comes from the summary.

mod experiments;

use super::summary::{band, Summary};
use super::svg::chart;
use base64::Engine;
use experiments::{ablation, retraining, transfer};
use std::fmt::Write as _;
use std::path::Path;

/// The line that marks a page as `fooling report`'s own, so a later report may replace it.
pub const GENERATOR: &str = "<meta name=\"generator\" content=\"fooling report\">";

pub(super) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The images a page embeds, within a budget of bytes: each as a thumbnail (scaled down to
/// a side, never up; the exact PNGs stay in the run directories), the smaller of the PNG
/// file as it is (small images, MNIST's) and a JPEG of quality 85.
struct Images {
    left: usize,
    /// Images not embedded because the budget was spent, by path.
    skipped: Vec<String>,
}

/// The most bytes of images one report embeds: a 1000-class ImageNet study's page stays
/// under 5 MB.
const IMAGE_BUDGET: usize = 4 << 20;

impl Images {
    /// The data URI of the image `name` of the run directory `dir` (a file inside it), at
    /// most `side` pixels on its longer side; `None` when it cannot be read, or (noted) when
    /// it would pass the budget.
    fn data(&mut self, dir: &Path, name: &str, side: u32) -> Option<String> {
        let path = crate::io::read::inside(dir, Path::new(name), "the report").ok()?;
        let (bytes, img) = crate::imaging::load::read_image(&path).ok()?;
        let small = img.width() <= side && img.height() <= side;
        let (mime, data) = if small && bytes.len() <= 16 << 10 {
            ("image/png", bytes)
        } else {
            let thumb = if small {
                img
            } else {
                img.resize(side, side, image::imageops::FilterType::Triangle)
            };
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
                .encode_image(&thumb.to_rgb8())
                .ok()?;
            ("image/jpeg", jpeg)
        };
        let uri = format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(data)
        );
        if uri.len() > self.left {
            self.skipped.push(path.display().to_string());
            return None;
        }
        self.left -= uri.len();
        Some(uri)
    }
}

fn gallery(body: &mut String, images: &mut Images, dir: &Path, alt: &str, caption: Option<&str>) {
    if let Some(src) = images.data(dir, "gallery.png", 1200) {
        let caption = caption
            .map(|c| format!("<figcaption>{}</figcaption>", esc(c)))
            .unwrap_or_default();
        let _ = writeln!(
            body,
            "<figure><img class=\"gallery\" src=\"{src}\" alt=\"{}\">{caption}</figure>",
            esc(alt)
        );
    }
}

/// The paper's results (docs/paper.md §8).
const PAPER: [(&str, &str, &str); 9] = [
    ("R1", "MNIST, direct encoding", "every class ≥ 99.99% within 50 generations in each run; median 99.99% by generation 200"),
    ("R2", "MNIST, CPPN encoding", "median 99.99% by generation 200; recurring class features (vertical bars for 1, horizontal bars in the lower half for 2)"),
    ("R3", "ImageNet, direct encoding", "after 20,000 generations only 45 classes ≥ 99%; median 21.59%"),
    ("R4", "ImageNet, CPPN encoding", "after 5000 generations median 88.11%; many classes ≥ 99.99%; dogs and cats hardest"),
    ("R5", "gradient ascent", "≥ 99.99% on the chosen classes"),
    ("R6", "transfer", "many images fool a second network at 99.99%, some do not"),
    ("R7", "retraining, MNIST", "99.99% fooling images still found after each of 15 rounds"),
    ("R8", "retraining, ImageNet", "median 88.1% → 11.7%"),
    ("R9", "removing repeated elements of a CPPN image lowers its confidence", "qualitative"),
];

/// The report of `summary`.
pub fn render(s: &Summary) -> String {
    let mut body = String::new();
    let mut images = Images {
        left: IMAGE_BUDGET,
        skipped: Vec::new(),
    };
    evolution(&mut body, &mut images, s);
    for a in &s.ascents {
        let _ = writeln!(body, "<h2 id=\"R5\">Gradient ascent · {}</h2>", esc(&a.net));
        let _ = writeln!(
            body,
            "<p>{} classes: median {:.6}, {} ≥ 0.99, {} ≥ 0.9999. <code>{}</code></p>",
            a.classes,
            a.stats.median,
            a.stats.n_ge_099,
            a.stats.n_ge_09999,
            esc(&a.command)
        );
        gallery(&mut body, &mut images, &a.dir, "ascent gallery", None);
    }
    transfer(&mut body, s);
    ablation(&mut body, &mut images, s);
    retraining(&mut body, s);
    for dir in &s.merged {
        let _ = writeln!(
            body,
            "<h2>Merged archive · {}</h2>",
            esc(&dir.display().to_string())
        );
        gallery(&mut body, &mut images, dir, "merged gallery", None);
    }
    left_out(&mut body, s);
    if !images.skipped.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"meta\">{} images were not embedded, to keep this page small; they are in the run directories: {}</p>",
            images.skipped.len(),
            esc(&images.skipped.join(", "))
        );
    }
    let paper = paper_table(s);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n{GENERATOR}\n<title>fooling report</title>\n<style>\n{CSS}</style></head><body>\n<h1>Fooling images: our runs beside the paper</h1>\n<p class=\"meta\">fooling {} · {} input director{} · Nguyen, Yosinski &amp; Clune, CVPR 2015</p>\n<h2>The paper's results and ours</h2>\n{paper}{body}</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        s.inputs,
        if s.inputs == 1 { "y" } else { "ies" }
    )
}

fn evolution(body: &mut String, images: &mut Images, s: &Summary) {
    for (i, g) in s.groups.iter().enumerate() {
        let _ = writeln!(
            body,
            "<h2 id=\"{}-{}\">{}</h2>",
            g.row,
            esc(&g.net),
            esc(&g.title())
        );
        let n = g.runs.len();
        let (spread, label, note) = if n > 1 {
            (
                "median and quartiles of the runs' median champion confidence",
                format!("median champion, {n} runs"),
                " (band: first to third quartile across runs)",
            )
        } else {
            (
                "the run's median champion confidence",
                "median champion".to_string(),
                " (band: quartiles over the cells)",
            )
        };
        // one run: the band is the quartiles over its cells
        let overall = match &g.cells_of_one {
            Some(cells) if n == 1 => band(cells),
            _ => band(&g.medians),
        };
        let _ = writeln!(
            body,
            "<figure>{}<figcaption>Overall: {spread}{note}.</figcaption></figure>",
            chart(&g.title(), &[(label, overall)], &[])
        );
        if (1..=10).contains(&g.cells) {
            let labels = &s.labels[i];
            let lines: Vec<(String, Vec<(f64, f64)>)> = g
                .per_class
                .iter()
                .map(|(&c, by)| {
                    let label = labels.get(c).cloned().unwrap_or_else(|| c.to_string());
                    (
                        format!("class {label}"),
                        band(by).iter().map(|p| (p.0, p.1)).collect(),
                    )
                })
                .collect();
            let _ = writeln!(
                body,
                "<figure>{}<figcaption>Per class: the median across runs of each class's champion confidence.</figcaption></figure>",
                chart(&format!("{} · per class", g.title()), &[], &lines)
            );
        }
        class_grid(body, &g.per_class, &s.labels[i]);
        runs_table(body, g);
        for dir in &s.galleries[i] {
            let name = dir.display().to_string();
            gallery(
                body,
                images,
                dir,
                &format!("gallery of {name}"),
                Some(&format!("{name}: each cell's champion.")),
            );
        }
    }
}

/// The table of a group's runs: seed, generations, medians, cells above the thresholds and
/// the command.
fn runs_table(body: &mut String, g: &crate::report::summary::Group) {
    body.push_str("<table><tr><th>run</th><th>seed</th><th>generations</th><th>median at 50</th><th>median at the end</th><th>≥ 0.99</th><th>≥ 0.9999</th><th>command</th></tr>\n");
    for r in &g.runs {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.6}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&r.dir.display().to_string()),
            r.seed,
            r.last.generation,
            r.median_at_50.map(|m| format!("{m:.6}")).unwrap_or_else(|| "–".into()),
            r.last.median,
            r.last.n_ge_099,
            r.last.n_ge_09999,
            esc(&r.command)
        );
    }
    body.push_str("</table>\n");
}

/// The colour of confidence `p`: by its nines (−log10(1 − p), 0 to 4, so that 0.99 is half
/// way and 0.9999 the end), from pale yellow through green to dark blue.
fn nines_colour(p: f64) -> String {
    let t = (-(1.0 - p).max(1e-12).log10()).clamp(0.0, 4.0) / 4.0;
    const STOPS: [[f64; 3]; 4] = [
        [255.0, 255.0, 204.0],
        [161.0, 218.0, 180.0],
        [44.0, 127.0, 184.0],
        [37.0, 52.0, 148.0],
    ];
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let c: Vec<u8> = (0..3)
        .map(|k| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// One tile per class, coloured by the median across runs of its champion's confidence at
/// the last generation recorded, the class and figure on hover (and written in the tile for
/// up to 100 classes): a thousand classes read at a glance.
fn class_grid(
    body: &mut String,
    per_class: &std::collections::BTreeMap<usize, super::runs::ByGeneration>,
    labels: &[String],
) {
    if per_class.is_empty() {
        return;
    }
    let large = per_class.len() > 100;
    let _ = writeln!(
        body,
        "<figure><div class=\"classgrid{}\">",
        if large { " large" } else { "" }
    );
    for (&c, by) in per_class {
        let Some((_, v)) = by.iter().next_back() else {
            continue;
        };
        let median = crate::report::summary::quantile(&mut v.clone(), 0.5);
        let label = labels.get(c).cloned().unwrap_or_else(|| c.to_string());
        let name = if label == c.to_string() {
            label
        } else {
            format!("{c} {label}")
        };
        let text = if large {
            String::new()
        } else {
            format!("{}<br>{median:.4}", esc(&name))
        };
        let _ = write!(
            body,
            "<div style=\"background:{};color:{}\" title=\"{}: {median:.6}\">{text}</div>",
            nines_colour(median),
            if median >= 0.99 { "#fff" } else { "#222" },
            esc(&name)
        );
    }
    body.push_str("</div><figcaption>Each class's champion confidence (median across runs, last generation): ");
    for p in [0.0, 0.9, 0.99, 0.999, 0.9999] {
        let _ = write!(
            body,
            "<span class=\"swatch\" style=\"background:{}\"></span> {p} ",
            nines_colour(p)
        );
    }
    body.push_str("</figcaption></figure>\n");
}

fn left_out(body: &mut String, s: &Summary) {
    if s.left_out.is_empty() {
        return;
    }
    body.push_str("<h2 id=\"left-out\">Left out of the figures</h2>\n<p>These runs are unfinished or damaged; no figure above counts them.</p>\n<table><tr><th>run</th><th>network</th><th>why</th><th>to finish it</th></tr>\n");
    for l in &s.left_out {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.dir.display().to_string()),
            esc(&l.net),
            esc(&l.why),
            l.remedy
                .as_deref()
                .map(|r| format!("<code>{}</code>", esc(r)))
                .unwrap_or_else(|| "–".into())
        );
    }
    body.push_str("</table>\n");
}

fn paper_table(s: &Summary) -> String {
    let ours = s.ours();
    let mut paper = String::from("<table id=\"paper\"><tr><th>#</th><th>experiment</th><th>the paper</th><th>ours</th><th>command</th></tr>\n");
    for (id, what, claim) in PAPER {
        let (text, cmd) = match ours.get(id) {
            Some(v) => (
                v.iter()
                    .map(|(t, _)| esc(t))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                v.iter()
                    .map(|(_, c)| format!("<code>{}</code>", esc(c)))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            ),
            None => (
                "<span class=\"none\">not in these runs</span>".to_string(),
                String::new(),
            ),
        };
        let _ = writeln!(
            paper,
            "<tr><td>{id}</td><td>{}</td><td>{}</td><td>{text}</td><td>{cmd}</td></tr>",
            esc(what),
            esc(claim)
        );
    }
    paper.push_str("</table>\n");
    paper
}

const CSS: &str =
    "body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
code { font-size: 0.85em; }
figure { margin: 1em 0; }
img.gallery { max-width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
.none { color: #888; }
.examples { display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; align-items: flex-start; }
.examples > p { flex-basis: 100%; margin: 0.5em 0 0; }
.example { display: flex; gap: 0.3em; }
.classgrid { display: grid; grid-template-columns: repeat(auto-fill, 64px); gap: 2px; }
.classgrid > div { height: 40px; font-size: 0.7em; padding: 2px; overflow: hidden; }
.classgrid.large { grid-template-columns: repeat(40, 1fr); gap: 1px; }
.classgrid.large > div { height: 14px; padding: 0; }
.swatch { display: inline-block; width: 1em; height: 1em; vertical-align: middle; border: 1px solid #bbb; }
figure.tile { margin: 0; font-size: 0.75em; text-align: center; }
figure.tile img { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #ddd; }
.meta { color: #666; }
";
