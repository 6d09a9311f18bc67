//! `fooling report`: one self-contained HTML page for a set of run directories (evolution,
//! ascent, merged archives, retraining studies, or directories of `run-NNN` runs): the
//! paper's results (PAPER.md section 8) beside ours with the commands that made ours,
//! confidence over generations (median and quartiles across runs, overall and per class) as
//! inline SVG, galleries as embedded PNGs, the transfer and retraining tables.

use crate::error::{Error, Result};
use crate::experiments::read_config;
use base64::Engine;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Evolve,
    Ascent,
    Merged,
    Retrain,
}

/// One input directory.
#[derive(Clone, Debug)]
pub struct Run {
    pub dir: PathBuf,
    pub kind: Kind,
    pub config: toml::Table,
}

fn kind_of(dir: &Path) -> Result<Option<(Kind, toml::Table)>> {
    let table = |name: &str| -> Result<toml::Table> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        text.parse().map_err(|e| Error::Data {
            path,
            message: format!("not TOML: {e}"),
        })
    };
    Ok(if dir.join("config.toml").exists() {
        let c = read_config(dir)?;
        let kind = if c.contains_key("encoding") {
            Kind::Evolve
        } else {
            Kind::Ascent
        };
        Some((kind, c))
    } else if dir.join("merged.toml").exists() {
        Some((Kind::Merged, table("merged.toml")?))
    } else if dir.join("retrain.toml").exists() {
        Some((Kind::Retrain, table("retrain.toml")?))
    } else {
        None
    })
}

/// The runs in `dirs`: each a run, or a directory whose subdirectories are runs (a study made
/// with `--run-index`).
pub fn collect(dirs: &[PathBuf]) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for dir in dirs {
        if let Some((kind, config)) = kind_of(dir)? {
            runs.push(Run {
                dir: dir.clone(),
                kind,
                config,
            });
            continue;
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        let before = runs.len();
        for sub in subs {
            if let Some((kind, config)) = kind_of(&sub)? {
                runs.push(Run {
                    dir: sub,
                    kind,
                    config,
                });
            }
        }
        if runs.len() == before {
            return Err(Error::Data {
                path: dir.clone(),
                message: "not a run, a merged archive, a retraining study, or a directory of runs"
                    .into(),
            });
        }
    }
    Ok(runs)
}

fn s<'a>(c: &'a toml::Table, key: &str) -> &'a str {
    c.get(key).and_then(|v| v.as_str()).unwrap_or("?")
}

fn int(c: &toml::Table, path: &[&str]) -> Option<i64> {
    let mut v = c.get(path[0])?;
    for k in &path[1..] {
        v = v.get(k)?;
    }
    v.as_integer()
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Rows of a CSV file with a header, as strings.
fn csv(path: &Path) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect())
}

fn num(v: &str) -> f64 {
    v.parse().unwrap_or(f64::NAN)
}

/// A run's `stats.csv`: (generation, median, n ≥ 0.99, n ≥ 0.9999).
fn stats(dir: &Path) -> Result<Vec<(u32, f64, usize, usize)>> {
    Ok(csv(&dir.join("stats.csv"))?
        .iter()
        .filter(|r| r.len() >= 8)
        .map(|r| {
            (
                r[0].parse().unwrap_or(0),
                num(&r[2]),
                r[6].parse().unwrap_or(0),
                r[7].parse().unwrap_or(0),
            )
        })
        .collect())
}

/// A run's `cells.csv`: generation → every cell's confidence (absent in older runs).
fn cells(dir: &Path) -> Option<BTreeMap<u32, Vec<f64>>> {
    let rows = csv(&dir.join("cells.csv")).ok()?;
    Some(
        rows.iter()
            .map(|r| {
                (
                    r[0].parse().unwrap_or(0),
                    r[1..].iter().map(|v| num(v)).collect(),
                )
            })
            .collect(),
    )
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let x = q * (v.len() - 1) as f64;
    let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
}

/// (generation, median, first quartile, third quartile) of `values` by generation.
type Band = Vec<(f64, f64, f64, f64)>;

fn band(by_generation: &BTreeMap<u32, Vec<f64>>) -> Band {
    by_generation
        .iter()
        .map(|(&g, v)| {
            let mut v = v.clone();
            (
                g as f64,
                quantile(&mut v, 0.5),
                quantile(&mut v, 0.25),
                quantile(&mut v, 0.75),
            )
        })
        .collect()
}

const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// An SVG chart of champion confidence over generations: shaded bands with a median line
/// each, and plain lines, labelled.
fn chart(title: &str, bands: &[(String, Band)], lines: &[(String, Vec<(f64, f64)>)]) -> String {
    use plotters::prelude::*;
    let mut svg = String::new();
    let gmax = bands
        .iter()
        .flat_map(|(_, b)| b.iter().map(|p| p.0))
        .chain(lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0)))
        .fold(1.0f64, f64::max);
    {
        let root = SVGBackend::with_string(&mut svg, (760, 380)).into_drawing_area();
        let draw = || -> std::result::Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(0f64..gmax, 0f64..1.0)?;
            chart
                .configure_mesh()
                .x_desc("generation")
                .y_desc("champion confidence")
                .draw()?;
            for (i, (label, b)) in bands.iter().enumerate() {
                let (r, g, bl) = PALETTE[i % PALETTE.len()];
                let color = RGBColor(r, g, bl);
                let mut poly: Vec<(f64, f64)> = b.iter().map(|p| (p.0, p.3)).collect();
                poly.extend(b.iter().rev().map(|p| (p.0, p.2)));
                chart.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.18))))?;
                chart
                    .draw_series(LineSeries::new(
                        b.iter().map(|p| (p.0, p.1)),
                        color.stroke_width(2),
                    ))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            }
            for (i, (label, l)) in lines.iter().enumerate() {
                let (r, g, bl) = PALETTE[(i + bands.len()) % PALETTE.len()];
                let color = RGBColor(r, g, bl);
                chart
                    .draw_series(LineSeries::new(l.iter().copied(), color))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            }
            if !bands.is_empty() || !lines.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()?;
            }
            root.present()?;
            Ok(())
        };
        if let Err(e) = draw() {
            return format!("<p>(chart not drawn: {})</p>", esc(&e.to_string()));
        }
    }
    svg
}

fn png_data(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The command that made an evolution or ascent run, from its configuration.
pub fn command(run: &Run) -> String {
    let c = &run.config;
    let dir = run.dir.display();
    match run.kind {
        Kind::Evolve => {
            let enc = s(c, "encoding");
            let section = if enc == "cppn" { "cppn" } else { "direct" };
            let seed = int(c, &[section, "seed"]).unwrap_or(0);
            let batch = int(c, &[section, "batch"]).unwrap_or(200);
            let mut cmd = format!(
                "fooling evolve --net {} --weights {} --encoding {enc} --seed {seed} --batch {batch} --generations {}",
                s(c, "net"),
                s(c, "weights"),
                int(c, &["generations"]).unwrap_or(0)
            );
            if let Some(crops) = int(c, &["color", "crops"]) {
                let _ = write!(cmd, " --crops {crops}");
            }
            let _ = write!(cmd, " --out {dir}");
            cmd
        }
        Kind::Ascent => format!(
            "fooling ascent --net {} --weights {} --iterations {} --decay {} --seed {} --out {dir}",
            s(c, "net"),
            s(c, "weights"),
            int(c, &["iterations"]).unwrap_or(0),
            c.get("decay").map(|v| v.to_string()).unwrap_or_default(),
            int(c, &["seed"]).unwrap_or(0)
        ),
        Kind::Merged => format!("fooling merge --out {dir} …"),
        Kind::Retrain => format!(
            "fooling retrain --net {} --weights {} --rounds {} --class-size {} --generations {} --batch {} --iterations {} --seed {} --out {dir}",
            s(c, "net"),
            s(c, "weights"),
            int(c, &["rounds"]).unwrap_or(0),
            int(c, &["class_size"]).unwrap_or(0),
            int(c, &["generations"]).unwrap_or(0),
            int(c, &["batch"]).unwrap_or(0),
            int(c, &["iterations"]).unwrap_or(0),
            int(c, &["seed"]).unwrap_or(0)
        ),
    }
}

/// Whether `net` takes colour (ImageNet) images.
fn colour(net: &str) -> bool {
    crate::nn::by_name(net).is_ok_and(|a| a.input[0] == 3)
}

/// A group of evolution runs: same network and encoding.
struct Group<'a> {
    net: String,
    encoding: String,
    runs: Vec<&'a Run>,
}

impl Group<'_> {
    fn title(&self) -> String {
        format!("{} · {} encoding", self.net, self.encoding)
    }
}

/// Transfer results of a kind of run to one target: champions, how many ≥ 0.99 and
/// ≥ 0.9999 on the target, runs, and the first run.
type Tally = (usize, usize, usize, usize, PathBuf);

/// The paper's results (PAPER.md section 8).
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

/// Builds the report of `runs`.
pub fn build(runs: &[Run]) -> Result<String> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for r in runs.iter().filter(|r| r.kind == Kind::Evolve) {
        let (net, enc) = (s(&r.config, "net"), s(&r.config, "encoding"));
        match groups
            .iter_mut()
            .find(|g| g.net == net && g.encoding == enc)
        {
            Some(g) => g.runs.push(r),
            None => groups.push(Group {
                net: net.into(),
                encoding: enc.into(),
                runs: vec![r],
            }),
        }
    }
    // ours, by row of the paper's table: (text, commands)
    let mut ours: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut body = String::new();

    for g in &groups {
        let row = match (g.encoding.as_str(), colour(&g.net)) {
            ("direct", false) => "R1",
            ("cppn", false) => "R2",
            ("direct", true) => "R3",
            (_, _) => "R4",
        };
        let _ = writeln!(
            body,
            "<h2 id=\"{row}-{}\">{}</h2>",
            esc(&g.net),
            esc(&g.title())
        );
        let mut medians: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        let mut per_class: BTreeMap<usize, BTreeMap<u32, Vec<f64>>> = BTreeMap::new();
        let mut finals = Vec::new();
        let (mut all_by_50, mut with_cells) = (0, 0);
        let mut table = String::from("<table><tr><th>run</th><th>seed</th><th>generations</th><th>median at 50</th><th>median at the end</th><th>≥ 0.99</th><th>≥ 0.9999</th><th>command</th></tr>\n");
        let mut ncells = 0;
        for r in &g.runs {
            let st = stats(&r.dir)?;
            for &(gen, m, _, _) in &st {
                medians.entry(gen).or_default().push(m);
            }
            let cells = cells(&r.dir);
            if let Some(cells) = &cells {
                for (&gen, conf) in cells {
                    ncells = conf.len();
                    for (c, &v) in conf.iter().enumerate() {
                        per_class
                            .entry(c)
                            .or_default()
                            .entry(gen)
                            .or_default()
                            .push(v);
                    }
                }
            }
            let at50 = st.iter().find(|p| p.0 == 50);
            if let Some(cells) = &cells {
                with_cells += 1;
                if cells
                    .range(..=50)
                    .next_back()
                    .is_some_and(|(_, v)| v.iter().all(|&x| x >= 0.9999))
                {
                    all_by_50 += 1;
                }
            }
            let last = st.last().copied().unwrap_or((0, f64::NAN, 0, 0));
            finals.push((last.0, last.1));
            let section = if g.encoding == "cppn" {
                "cppn"
            } else {
                "direct"
            };
            let _ = writeln!(
                table,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.6}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&r.dir.display().to_string()),
                int(&r.config, &[section, "seed"]).unwrap_or(0),
                last.0,
                at50.map(|p| format!("{:.6}", p.1)).unwrap_or_else(|| "–".into()),
                last.1,
                last.2,
                last.3,
                esc(&command(r))
            );
        }
        table.push_str("</table>\n");
        let n = g.runs.len();
        let spread = if n > 1 {
            "median and quartiles of the runs' median champion confidence"
        } else {
            "the run's median champion confidence"
        };
        let label = if n > 1 {
            format!("median champion, {n} runs")
        } else {
            "median champion".to_string()
        };
        let mut bands = vec![(label, band(&medians))];
        if n == 1 {
            // one run: the band is the quartiles over its cells
            if let Some(cells) = cells(&g.runs[0].dir) {
                bands[0].1 = band(&cells.into_iter().collect());
            }
        }
        body.push_str(&format!(
            "<figure>{}<figcaption>Overall: {spread}{}.</figcaption></figure>\n",
            chart(&g.title(), &bands, &[]),
            if n == 1 {
                " (band: quartiles over the cells)"
            } else {
                " (band: first to third quartile across runs)"
            }
        ));
        if (1..=10).contains(&ncells) {
            let labels = crate::nn::by_name(&g.net)
                .map(|a| a.labels)
                .unwrap_or_default();
            let lines: Vec<(String, Vec<(f64, f64)>)> = per_class
                .iter()
                .map(|(&c, by)| {
                    let label = labels.get(c).cloned().unwrap_or_else(|| c.to_string());
                    (
                        format!("class {label}"),
                        band(by).iter().map(|p| (p.0, p.1)).collect(),
                    )
                })
                .collect();
            body.push_str(&format!(
                "<figure>{}<figcaption>Per class: the median across runs of each class's champion confidence.</figcaption></figure>\n",
                chart(&format!("{} · per class", g.title()), &[], &lines)
            ));
        }
        body.push_str(&table);
        for r in g.runs.iter().take(6) {
            if let Some(src) = png_data(&r.dir.join("gallery.png")) {
                let _ = writeln!(
                    body,
                    "<figure><img class=\"gallery\" src=\"{src}\" alt=\"gallery of {}\"><figcaption>{}: each cell's champion.</figcaption></figure>",
                    esc(&r.dir.display().to_string()),
                    esc(&r.dir.display().to_string())
                );
            }
        }
        let list = finals
            .iter()
            .map(|(_, m)| format!("{m:.6}"))
            .collect::<Vec<_>>()
            .join(", ");
        let gen = finals.iter().map(|f| f.0).max().unwrap_or(0);
        let mut text = format!(
            "{} · {n} run{}: median champion confidence at generation {gen}: {list}",
            g.net,
            if n > 1 { "s" } else { "" }
        );
        if row == "R1" && with_cells > 0 {
            let _ = write!(
                text,
                "; every class ≥ 99.99% by generation 50 in {all_by_50} of {with_cells} runs"
            );
        }
        let cmd = command(g.runs[0])
            + if n > 1 {
                " (and the other seeds above)"
            } else {
                ""
            };
        ours.entry(row).or_default().push((text, cmd));
    }

    // gradient ascent
    for r in runs.iter().filter(|r| r.kind == Kind::Ascent) {
        let champs = crate::experiments::read_champions(&r.dir)?;
        let conf: Vec<f32> = champs.iter().map(|c| c.confidence).collect();
        let st = crate::stats::Stats::of(&conf);
        let _ = writeln!(
            body,
            "<h2 id=\"R5\">Gradient ascent · {}</h2>",
            esc(s(&r.config, "net"))
        );
        let _ = writeln!(
            body,
            "<p>{} classes: median {:.6}, {} ≥ 0.99, {} ≥ 0.9999. <code>{}</code></p>",
            conf.len(),
            st.median,
            st.n_ge_099,
            st.n_ge_09999,
            esc(&command(r))
        );
        if let Some(src) = png_data(&r.dir.join("gallery.png")) {
            let _ = writeln!(
                body,
                "<figure><img class=\"gallery\" src=\"{src}\" alt=\"ascent gallery\"></figure>"
            );
        }
        ours.entry("R5").or_default().push((
            format!(
                "{} · {} of {} classes ≥ 99.99% (median {:.6})",
                s(&r.config, "net"),
                st.n_ge_09999,
                conf.len(),
                st.median
            ),
            command(r),
        ));
    }

    // transfer: a table row per run and target; in the paper's table, one line per kind of
    // run and target: (champions, ≥ 0.99, ≥ 0.9999, runs, the first run)
    let mut transfer = String::new();
    let mut transfers: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.kind != Kind::Retrain) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&r.dir)
            .map_err(|e| Error::io(&r.dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("transfer-") && n.ends_with(".csv"))
            })
            .collect();
        files.sort();
        for f in files {
            let rows = csv(&f)?;
            let name = f
                .file_stem()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("transfer-"))
                .unwrap_or("?")
                .to_string();
            let n = rows.len().max(1);
            let count = |col: usize, t: f64| rows.iter().filter(|r| num(&r[col]) >= t).count();
            let kept = rows.iter().filter(|r| r[0] == r[4]).count();
            let pct = |k: usize| 100.0 * k as f64 / n as f64;
            let (s99, t99, t9999) = (count(2, 0.99), count(3, 0.99), count(3, 0.9999));
            let _ = writeln!(
                transfer,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{s99} ({:.0}%)</td><td>{t99} ({:.0}%)</td><td>{t9999} ({:.0}%)</td><td>{kept} ({:.0}%)</td></tr>",
                esc(&r.dir.display().to_string()),
                esc(&name),
                rows.len(),
                pct(s99),
                pct(t99),
                pct(t9999),
                pct(kept)
            );
            let group = match r.kind {
                Kind::Evolve => format!("{} {}", s(&r.config, "net"), s(&r.config, "encoding")),
                Kind::Ascent => format!("{} ascent", s(&r.config, "net")),
                _ => "merged".to_string(),
            };
            let t = transfers
                .entry((group, name.clone()))
                .or_insert((0, 0, 0, 0, r.dir.clone()));
            t.0 += rows.len();
            t.1 += t99;
            t.2 += t9999;
            t.3 += 1;
        }
    }
    for ((group, name), (n, t99, t9999, runs, first)) in &transfers {
        let pct = |k: usize| 100.0 * k as f64 / (*n).max(1) as f64;
        ours.entry("R6").or_default().push((
            format!(
                "{group} → {name}: {t99}/{n} ({:.0}%) ≥ 0.99, {t9999}/{n} ({:.0}%) ≥ 0.9999 ({runs} run{})",
                pct(*t99),
                pct(*t9999),
                if *runs > 1 { "s" } else { "" }
            ),
            format!(
                "fooling transfer --run {} --weights … (→ transfer-{name}.csv)",
                first.display()
            ),
        ));
    }
    if !transfer.is_empty() {
        body.push_str("<h2 id=\"R6\">Transfer</h2>\n<table><tr><th>run</th><th>target</th><th>champions</th><th>source ≥ 0.99</th><th>target ≥ 0.99</th><th>target ≥ 0.9999</th><th>still the top class</th></tr>\n");
        body.push_str(&transfer);
        body.push_str("</table>\n");
    }

    // retraining
    for r in runs.iter().filter(|r| r.kind == Kind::Retrain) {
        let rows = csv(&r.dir.join("retrain.csv"))?;
        let _ = writeln!(
            body,
            "<h2 id=\"R7\">Retraining with a fooling class · {}</h2>",
            esc(&r.dir.display().to_string())
        );
        body.push_str("<table><tr><th>network</th><th>fooling images in training</th><th>held-out accuracy</th><th>runs</th><th>median champion</th><th>≥ 0.99</th><th>≥ 0.9999</th></tr>\n");
        for row in &rows {
            let _ = writeln!(
                body,
                "<tr><td>DNN_{}</td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{:.6}</td><td>{}/{}</td><td>{}/{}</td></tr>",
                row[0],
                row[1],
                num(&row[2]) * 100.0,
                row[3],
                num(&row[5]),
                row[6],
                row[4],
                row[7],
                row[4]
            );
        }
        body.push_str("</table>\n");
        let _ = writeln!(body, "<p><code>{}</code></p>", esc(&command(r)));
        let with = rows.iter().filter(|r| r[7] != "0").count();
        ours.entry("R7").or_default().push((
            format!(
                "{} networks (DNN_1 and {} retrainings): a champion ≥ 99.99% against {with} of them; medians {}",
                rows.len(),
                rows.len().saturating_sub(1),
                rows.iter()
                    .map(|r| format!("{:.4}", num(&r[5])))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            command(r),
        ));
    }

    // merged archives: their galleries
    for r in runs.iter().filter(|r| r.kind == Kind::Merged) {
        let _ = writeln!(
            body,
            "<h2>Merged archive · {}</h2>",
            esc(&r.dir.display().to_string())
        );
        if let Some(src) = png_data(&r.dir.join("gallery.png")) {
            let _ = writeln!(
                body,
                "<figure><img class=\"gallery\" src=\"{src}\" alt=\"merged gallery\"></figure>"
            );
        }
    }

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

    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>fooling report</title>\n<style>\n{CSS}</style></head><body>\n<h1>Fooling images: our runs beside the paper</h1>\n<p class=\"meta\">fooling {} · {} input director{} · Nguyen, Yosinski &amp; Clune, CVPR 2015</p>\n<h2>The paper's results and ours</h2>\n{paper}{body}</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        runs.len(),
        if runs.len() == 1 { "y" } else { "ies" }
    ))
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
.meta { color: #666; }
";
