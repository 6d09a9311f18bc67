//! The lines of our column in the paper's table ([`Summary::ours`]): each figure of the
//! summary as a sentence beside the paper's, with the command behind it.

use super::{quantile, AblationRun, Summary};
use crate::command_line::CommandLine;
use std::collections::BTreeMap;

/// What a line of the paper table adds for `n` runs it left out.
fn left_out_note(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (1 unfinished or damaged run left out)".into(),
        n => format!(" ({n} unfinished or damaged runs left out)"),
    }
}

/// Lines of our column by row of the paper's table (R1–R9): each line's text and its command.
type Lines = BTreeMap<&'static str, Vec<(String, String)>>;

impl Summary {
    /// Ours, by row of the paper's table (R1–R9): each line's text and the command behind it.
    pub fn ours(&self) -> Lines {
        let mut ours = Lines::new();
        self.evolutions(&mut ours);
        self.ascent_lines(&mut ours);
        self.transfer_lines(&mut ours);
        self.ablation_lines(&mut ours);
        self.retrain_lines(&mut ours);
        ours
    }

    /// R1–R4: each group of evolution runs.
    fn evolutions(&self, ours: &mut Lines) {
        for g in &self.groups {
            let n = g.runs.len();
            let list = g
                .runs
                .iter()
                .map(|r| format!("{:.6}", r.last.median))
                .collect::<Vec<_>>()
                .join(", ");
            let gen = g.runs.iter().map(|r| r.last.generation).max().unwrap_or(0);
            let mut text = format!(
                "{} · {n} run{}: median champion confidence at generation {gen}: {list}",
                g.net,
                if n > 1 { "s" } else { "" }
            );
            if g.row == "R1" && g.with_cells > 0 {
                text.push_str(&format!(
                    "; every class ≥ 99.99% by generation 50 in {} of {} runs",
                    g.all_by_50, g.with_cells
                ));
            }
            text.push_str(&left_out_note(self.left_out_of(g.row, &g.net)));
            let cmd = g.runs[0].command.clone()
                + if n > 1 {
                    " (and the other seeds above)"
                } else {
                    ""
                };
            ours.entry(g.row).or_default().push((text, cmd));
        }
    }

    /// R5: each ascent run.
    fn ascent_lines(&self, ours: &mut Lines) {
        for a in &self.ascents {
            ours.entry("R5").or_default().push((
                format!(
                    "{} · {} of {} classes ≥ 99.99% (median {:.6})",
                    a.net, a.stats.n_ge_09999, a.classes, a.stats.median
                ) + &left_out_note(self.left_out_of("R5", &a.net)),
                a.command.clone(),
            ));
        }
    }

    /// R6: each transfer tally.
    fn transfer_lines(&self, ours: &mut Lines) {
        for t in &self.tallies {
            let pct = |k: usize| 100.0 * k as f64 / t.champions.max(1) as f64;
            ours.entry("R6").or_default().push((
                format!(
                    "{} → {}: {}/{} ({:.0}%) ≥ 0.99, {}/{} ({:.0}%) ≥ 0.9999 ({} run{})",
                    t.group,
                    t.target,
                    t.target_099,
                    t.champions,
                    pct(t.target_099),
                    t.target_09999,
                    t.champions,
                    pct(t.target_09999),
                    t.runs,
                    if t.runs > 1 { "s" } else { "" }
                ),
                format!(
                    "{} (→ transfer-{}.csv)",
                    CommandLine::new("transfer")
                        .arg("run", t.first.display())
                        .arg("weights", "…"),
                    t.target
                ),
            ));
        }
    }

    /// R9: the ablations of each kind of run, pooled.
    fn ablation_lines(&self, ours: &mut Lines) {
        // the ablations of each kind of run, pooled as the transfer tallies are
        let mut groups: Vec<&str> = Vec::new();
        for a in &self.ablations {
            if !groups.contains(&a.group.as_str()) {
                groups.push(&a.group);
            }
        }
        for group in groups {
            let runs: Vec<&AblationRun> =
                self.ablations.iter().filter(|a| a.group == group).collect();
            let mut t = crate::experiments::ablate::Tally::default();
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for a in &runs {
                t += a.tally;
                let (b, c) = crate::experiments::ablate::before_after(&a.rows);
                before.extend(b);
                after.extend(c);
            }
            let n = runs.len();
            let plural = if n > 1 { "s" } else { "" };
            let text = if t.tested == 0 {
                format!(
                    "{group} · {} champions ({n} run{plural}): occlusion maps only (the repetition test is for CPPN images)",
                    t.champions
                )
            } else {
                format!(
                    "{group} · repeated elements in {} of {} champions ({n} run{plural}); removing all copies but one lowers the confidence of {} of them ({} at every step: one, half, all but one), median {:.4} → {:.4}",
                    t.repeating,
                    t.tested,
                    t.falls,
                    t.steady,
                    quantile(&mut before, 0.5),
                    quantile(&mut after, 0.5)
                )
            };
            let net = group.split(' ').next().unwrap_or("");
            let cmd = CommandLine::new("ablate")
                .arg("run", runs[0].dir.display())
                .to_string()
                + if n > 1 { " (and the other runs)" } else { "" };
            ours.entry("R9")
                .or_default()
                .push((text + &left_out_note(self.left_out_of("R9", net)), cmd));
        }
    }

    /// R7: each retraining study.
    fn retrain_lines(&self, ours: &mut Lines) {
        for r in &self.retrains {
            let with = r.rows.iter().filter(|r| r.n_ge_09999 != 0).count();
            let unfinished = if r.rows.len() < r.networks {
                format!(
                    " (stopped: {} of its {} networks evaluated; {} continues it)",
                    r.rows.len(),
                    r.networks,
                    CommandLine::new("retrain").arg("resume", r.dir.display())
                )
            } else {
                String::new()
            };
            ours.entry("R7").or_default().push((
                format!(
                    "{} networks (DNN_1 and {} retrainings): a champion ≥ 99.99% against {with} of them; medians {}{unfinished}",
                    r.rows.len(),
                    r.rows.len().saturating_sub(1),
                    r.rows
                        .iter()
                        .map(|r| format!("{:.4}", r.median))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
                r.command.clone(),
            ));
        }
    }
}
