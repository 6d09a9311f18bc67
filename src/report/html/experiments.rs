//! The report's tables of the further experiments: transfer, ablation (with its images) and
//! retraining.

use super::{esc, Images};
use crate::report::summary::Summary;
use std::fmt::Write as _;
use std::path::Path;

pub(super) fn transfer(body: &mut String, s: &Summary) {
    if s.transfers.is_empty() {
        return;
    }
    body.push_str("<h2 id=\"R6\">Transfer</h2>\n<table><tr><th>run</th><th>target</th><th>champions</th><th>source ≥ 0.99</th><th>target ≥ 0.99</th><th>target ≥ 0.9999</th><th>still the top class</th></tr>\n");
    for t in &s.transfers {
        let pct = |k: usize| 100.0 * k as f64 / t.champions.max(1) as f64;
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ({:.0}%)</td><td>{} ({:.0}%)</td><td>{} ({:.0}%)</td><td>{} ({:.0}%)</td></tr>",
            esc(&t.dir.display().to_string()),
            esc(&t.target),
            t.champions,
            t.source_099,
            pct(t.source_099),
            t.target_099,
            pct(t.target_099),
            t.target_09999,
            pct(t.target_09999),
            t.kept,
            pct(t.kept)
        );
    }
    body.push_str("</table>\n");
}

/// One image of the ablation examples, with its caption.
fn tile(body: &mut String, images: &mut Images, (dir, name): (&Path, &str), caption: &str) {
    if let Some(src) = images.data(dir, name, 168) {
        let _ = write!(
            body,
            "<figure class=\"tile\"><img src=\"{src}\" alt=\"{0}\"><figcaption>{0}</figcaption></figure>",
            esc(caption)
        );
    }
}

pub(super) fn ablation(body: &mut String, images: &mut Images, s: &Summary) {
    if s.ablations.is_empty() {
        return;
    }
    body.push_str("<h2 id=\"R9\">Ablation</h2>\n<p>Each champion re-scored on its run's network with squares of the image painted in its background colour (heatmap: red where covering a square lowers the confidence, scaled to the image's largest drop), and, for CPPN images, with copies of its strongest repeated element removed: one, half of them, all but one.</p>\n<table><tr><th>run</th><th>champions</th><th>squares</th><th>largest drop</th><th>repeated elements</th><th>lower with all but one copy removed</th><th>lower at every step</th><th>median confidence → all but one</th></tr>\n");
    for a in &s.ablations {
        let t = a.tally;
        let drop = crate::experiments::ablate::largest_drop(&a.rows);
        let (rep, falls, steady, medians) = if t.tested == 0 {
            (
                "–".to_string(),
                "–".to_string(),
                "–".to_string(),
                "–".to_string(),
            )
        } else {
            let (before, after) = a.medians();
            (
                format!("{} of {}", t.repeating, t.tested),
                format!("{} of {}", t.falls, t.repeating),
                format!("{} of {}", t.steady, t.repeating),
                format!("{before:.4} → {after:.4}"),
            )
        };
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}×{}, {} apart</td><td>{drop:.4}</td><td>{rep}</td><td>{falls}</td><td>{steady}</td><td>{medians}</td></tr>",
            esc(&a.dir.display().to_string()),
            t.champions,
            a.patch,
            a.patch,
            a.stride
        );
    }
    body.push_str("</table>\n");
    for a in &s.ablations {
        ablation_examples(body, images, a);
    }
}

/// A run's ablation examples: the champions with repeated elements whose confidence fell
/// most (their image, with all copies but one removed, and the occlusion map), else the
/// occlusion maps of the first champions.
fn ablation_examples(
    body: &mut String,
    images: &mut Images,
    a: &crate::report::summary::AblationRun,
) {
    // the champions with repeated elements whose confidence fell most, else the
    // occlusion maps of the first champions
    let mut shown: Vec<_> = a
        .rows
        .iter()
        .filter(|r| r.repetition.as_ref().is_some_and(|t| t.copies >= 2))
        .collect();
    shown.sort_by(|x, y| {
        let fall = |r: &crate::experiments::ablate::Ablated| {
            r.confidence - r.repetition.as_ref().map_or(0.0, |t| t.confidence[2])
        };
        fall(y).total_cmp(&fall(x))
    });
    let repeated = !shown.is_empty();
    if !repeated {
        shown = a.rows.iter().collect();
    }
    let _ = writeln!(
        body,
        "<div class=\"examples\"><p>{}</p>",
        esc(&a.dir.display().to_string())
    );
    for r in shown.into_iter().take(6) {
        body.push_str("<div class=\"example\">");
        let label = &r.champion.label;
        tile(
            body,
            images,
            (&a.dir, &r.champion.image),
            &format!("{label}: {:.4}", r.confidence),
        );
        if let Some(t) = r.repetition.as_ref().filter(|t| t.copies >= 2) {
            tile(
                body,
                images,
                (&a.dir, &t.images[2]),
                &format!("{} copies → 1: {:.4}", t.copies, t.confidence[2]),
            );
        }
        tile(
            body,
            images,
            (&a.dir, &r.heatmap),
            &format!("occlusion (min {:.4})", r.occlusion_min),
        );
        body.push_str("</div>\n");
    }
    body.push_str("</div>\n");
}

pub(super) fn retraining(body: &mut String, s: &Summary) {
    for r in &s.retrains {
        let _ = writeln!(
            body,
            "<h2 id=\"R7\">Retraining with a fooling class · {}</h2>",
            esc(&r.dir.display().to_string())
        );
        body.push_str("<table><tr><th>network</th><th>fooling images in training</th><th>held-out accuracy</th><th>runs</th><th>median champion</th><th>≥ 0.99</th><th>≥ 0.9999</th></tr>\n");
        for row in &r.rows {
            let _ = writeln!(
                body,
                "<tr><td>DNN_{}</td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{:.6}</td><td>{}/{}</td><td>{}/{}</td></tr>",
                row.network,
                row.fooling_images,
                row.held_out_accuracy * 100.0,
                row.runs,
                row.median,
                row.n_ge_099,
                row.champions,
                row.n_ge_09999,
                row.champions
            );
        }
        body.push_str("</table>\n");
        let _ = writeln!(body, "<p><code>{}</code></p>", esc(&r.command));
    }
}
