//! Summary statistics of a set of confidences (the cells of an archive, the classes of an
//! ascent, the champions of a study): median, mean, extremes and the counts at the paper's
//! two thresholds. Used by runs, ascent, retraining and the report alike.

/// Summary statistics of the cells' confidences.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub n_ge_099: usize,
    pub n_ge_09999: usize,
}

impl Stats {
    pub fn of(conf: &[f32]) -> Stats {
        let mut v: Vec<f64> = conf.iter().map(|&c| c as f64).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stats {
            median,
            mean: v.iter().sum::<f64>() / n as f64,
            min: v[0],
            max: v[n - 1],
            n_ge_099: v.iter().filter(|&&c| c >= 0.99).count(),
            n_ge_09999: v.iter().filter(|&&c| c >= 0.9999).count(),
        }
    }
}
