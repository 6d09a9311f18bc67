//! Repeated elements of an image and what is left when some are removed (the paper's R9:
//! removing repeated elements of a CPPN image lowers its confidence).
//!
//! The repetition is found from the image's 2-D autocorrelation (its grey values less their
//! median, zero outside the image): translated copies of a motif give a peak away from the
//! origin at the translation from one copy to the next, and with k copies the peak at one
//! period holds (k − 1)/k of the origin's value, at two periods (k − 2)/k, so the highest
//! peak is the fundamental period. The image is then cut into strips across that period
//! (their boundaries placed where the image holds least), and the strips that hold a copy's
//! share of the image's contrast are its copies. A lattice repeated in two directions counts
//! its copies along the stronger one (each strip then holds a row of copies).
//!
//! Everything here is on the host and exact in integers where it can be; images are
//! `(c, h, w)` 8-bit planes ([`super::load::Planes`]).

use super::load::Planes;

/// The copies of an image's strongest repetition.
#[derive(Clone, Debug, PartialEq)]
pub struct Repeats {
    /// The translation from one copy to the next, `(dy, dx)` pixels.
    pub period: (i32, i32),
    /// The autocorrelation at `period` over that at the origin (1: the image is its own
    /// translate).
    pub strength: f64,
    /// Each pixel's strip, row-major: strip `s` holds the pixels whose position along the
    /// period lies in `[s, s + 1)` periods from the phase.
    strip: Vec<i32>,
    /// The strips that hold a copy, in order along the period.
    pub copies: Vec<i32>,
}

/// Weakest autocorrelation peak (over the origin's) that counts as a repetition.
const MIN_STRENGTH: f64 = 0.2;
/// The side the autocorrelation is searched at (larger images are averaged down to it, and
/// the peak refined at full size).
const SEARCH_SIDE: usize = 48;
/// A strip is a copy when its contrast is at least this share of the strongest strip's.
const COPY_SHARE: f64 = 0.3;

/// Per-channel median of `p`: the image's background colour.
pub fn background(p: &Planes) -> Vec<u8> {
    p.pixels
        .chunks(p.h * p.w)
        .map(|plane| {
            let mut counts = [0usize; 256];
            for &v in plane {
                counts[v as usize] += 1;
            }
            let mut seen = 0;
            (0..=255u8)
                .find(|&v| {
                    seen += counts[v as usize];
                    2 * seen > plane.len()
                })
                .unwrap_or(0)
        })
        .collect()
}

/// The grey contrast of `p`: the mean over channels less its median, row-major.
fn contrast(p: &Planes) -> Vec<f64> {
    let n = p.h * p.w;
    let grey: Vec<f64> = (0..n)
        .map(|i| {
            (0..p.channels)
                .map(|c| p.pixels[c * n + i] as f64)
                .sum::<f64>()
                / p.channels as f64
        })
        .collect();
    let mut sorted = grey.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let median = sorted[n / 2];
    grey.into_iter().map(|g| g - median).collect()
}

/// `sum_p f(p) f(p + d)` over `f` of `h × w`, zero outside.
fn autocorrelation(f: &[f64], h: usize, w: usize, (dy, dx): (i32, i32)) -> f64 {
    let (h, w) = (h as i32, w as i32);
    let mut sum = 0.0;
    for y in 0.max(-dy)..h.min(h - dy) {
        let (row, shifted) = ((y * w) as usize, ((y + dy) * w) as usize);
        for x in 0.max(-dx)..w.min(w - dx) {
            sum += f[row + x as usize] * f[(shifted as i32 + x + dx) as usize];
        }
    }
    sum
}

/// `f` averaged over `s × s` blocks (the last ones partial).
fn shrink(f: &[f64], h: usize, w: usize, s: usize) -> (Vec<f64>, usize, usize) {
    let (sh, sw) = (h.div_ceil(s), w.div_ceil(s));
    let mut out = vec![0.0; sh * sw];
    let mut n = vec![0usize; sh * sw];
    for y in 0..h {
        for x in 0..w {
            out[(y / s) * sw + x / s] += f[y * w + x];
            n[(y / s) * sw + x / s] += 1;
        }
    }
    for (o, n) in out.iter_mut().zip(n) {
        *o /= n as f64;
    }
    (out, sh, sw)
}

/// The strongest translation of `f` onto itself away from the origin: a local maximum of
/// the autocorrelation (the central lobe excluded), with its strength, or `None` when none
/// reaches [`MIN_STRENGTH`].
fn strongest_period(f: &[f64], h: usize, w: usize) -> Option<((i32, i32), f64)> {
    let s = h.max(w).div_ceil(SEARCH_SIDE).max(1);
    let (g, gh, gw) = shrink(f, h, w, s);
    let (rh, rw) = (gh as i32 - 1, gw as i32 - 1);
    let origin = autocorrelation(&g, gh, gw, (0, 0));
    if origin <= 0.0 {
        return None;
    }
    // the whole plane (the autocorrelation is symmetric, but a local maximum on the dy = 0
    // row needs its neighbours below), then the peaks of one half
    let side = (2 * rw + 1) as usize;
    let at = |dy: i32, dx: i32| ((dy + rh) as usize) * side + (dx + rw) as usize;
    let mut a = vec![0.0; (2 * rh + 1) as usize * side];
    for dy in 0..=rh {
        for dx in -rw..=rw {
            let v = autocorrelation(&g, gh, gw, (dy, dx)) / origin;
            a[at(dy, dx)] = v;
            a[at(-dy, -dx)] = v;
        }
    }
    let mut best: Option<((i32, i32), f64)> = None;
    for dy in 0..=rh {
        for dx in -rw..=rw {
            if dy == 0 && dx <= 0 {
                continue;
            }
            let v = a[at(dy, dx)];
            let peak = (-1..=1).all(|ey: i32| {
                (-1..=1).all(|ex: i32| {
                    let (y, x) = (dy + ey, dx + ex);
                    (ey, ex) == (0, 0) || y.abs() > rh || x.abs() > rw || a[at(y, x)] < v
                })
            });
            if peak && v >= MIN_STRENGTH && best.is_none_or(|(_, b)| v > b) {
                best = Some(((dy, dx), v));
            }
        }
    }
    let ((dy, dx), _) = best?;
    // refine at full size around the coarse peak
    let origin = autocorrelation(f, h, w, (0, 0));
    let s = s as i32;
    let mut fine: Option<((i32, i32), f64)> = None;
    for y in dy * s - s..=dy * s + s {
        for x in dx * s - s..=dx * s + s {
            if (y == 0 && x <= 0) || y < 0 || y.abs() >= h as i32 || x.abs() >= w as i32 {
                continue;
            }
            let v = autocorrelation(f, h, w, (y, x)) / origin;
            if fine.is_none_or(|(_, b)| v > b) {
                fine = Some(((y, x), v));
            }
        }
    }
    fine.filter(|&(_, v)| v >= MIN_STRENGTH)
}

/// The repeated elements of `p`, or `None` when it holds no repetition of at least two
/// copies.
pub fn find(p: &Planes) -> Option<Repeats> {
    let f = contrast(p);
    let ((ty, tx), strength) = strongest_period(&f, p.h, p.w)?;
    let norm = (ty * ty + tx * tx) as f64;
    let along = |i: usize| ((i / p.w) as f64 * ty as f64 + (i % p.w) as f64 * tx as f64) / norm;
    // the phase: strip boundaries where the image holds least of its contrast
    const BINS: usize = 32;
    let mut mass = [0.0f64; BINS];
    for (i, v) in f.iter().enumerate() {
        let u = along(i);
        mass[((u - u.floor()) * BINS as f64) as usize % BINS] += v.abs();
    }
    let low = (0..BINS)
        .min_by(|&a, &b| mass[a].total_cmp(&mass[b]))
        .unwrap_or(0);
    let phase = (low as f64 + 0.5) / BINS as f64;
    let strip: Vec<i32> = (0..f.len())
        .map(|i| (along(i) - phase).floor() as i32)
        .collect();
    let mut per_strip = std::collections::BTreeMap::<i32, f64>::new();
    for (s, v) in strip.iter().zip(&f) {
        *per_strip.entry(*s).or_default() += v.abs();
    }
    let most = per_strip.values().cloned().fold(0.0, f64::max);
    let copies: Vec<i32> = per_strip
        .iter()
        .filter(|(_, &m)| m > 0.0 && m >= COPY_SHARE * most)
        .map(|(&s, _)| s)
        .collect();
    (copies.len() >= 2).then_some(Repeats {
        period: (ty, tx),
        strength,
        strip,
        copies,
    })
}

/// Which copies a variant of the repetition test removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// One copy: the middle one.
    One,
    /// Half of them (rounded down): every other copy from the second.
    Half,
    /// All but the middle one.
    AllButOne,
}

impl Removal {
    pub const ALL: [Removal; 3] = [Removal::One, Removal::Half, Removal::AllButOne];

    /// Its name in file names and CSV columns.
    pub fn name(self) -> &'static str {
        match self {
            Removal::One => "one_removed",
            Removal::Half => "half_removed",
            Removal::AllButOne => "all_but_one",
        }
    }
}

impl Repeats {
    /// The strips `removal` takes out.
    pub fn removed(&self, removal: Removal) -> Vec<i32> {
        let mid = self.copies.len() / 2;
        match removal {
            Removal::One => vec![self.copies[mid]],
            Removal::Half => self.copies.iter().skip(1).step_by(2).cloned().collect(),
            Removal::AllButOne => self
                .copies
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != mid)
                .map(|(_, &s)| s)
                .collect(),
        }
    }

    /// `p` with the copies `removal` takes out painted over in `background` (every pixel of
    /// their strips).
    pub fn remove(&self, p: &Planes, removal: Removal, background: &[u8]) -> Planes {
        let gone = self.removed(removal);
        let n = p.h * p.w;
        let mut out = p.clone();
        for (i, s) in self.strip.iter().enumerate() {
            if gone.contains(s) {
                for (c, &b) in background.iter().enumerate() {
                    out.pixels[c * n + i] = b;
                }
            }
        }
        out
    }
}

/// `p` with the `k × k` patch at `(y, x)` (clipped to the image) painted in `background`.
pub fn occlude(p: &Planes, (y, x): (usize, usize), k: usize, background: &[u8]) -> Planes {
    let n = p.h * p.w;
    let mut out = p.clone();
    for (c, &b) in background.iter().enumerate() {
        for yy in y..(y + k).min(p.h) {
            let row = c * n + yy * p.w;
            out.pixels[row + x..row + (x + k).min(p.w)].fill(b);
        }
    }
    out
}

/// The top-left corners of the `k × k` patches `stride` apart that cover an `h × w` image
/// (the last row and column of patches moved in to end at the border).
pub fn patches(h: usize, w: usize, k: usize, stride: usize) -> Vec<(usize, usize)> {
    let starts = |n: usize| {
        let mut v: Vec<usize> = (0..=n.saturating_sub(k)).step_by(stride.max(1)).collect();
        if v.last().is_some_and(|&l| l + k < n) {
            v.push(n - k);
        }
        v
    };
    let ys = starts(h);
    let xs = starts(w);
    ys.iter()
        .flat_map(|&y| xs.iter().map(move |&x| (y, x)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `h × w` grey image of background 40 with a motif (a 3 × 2 block of 220 and one
    /// pixel of 130 below it) at each of `at`.
    fn motif_at(h: usize, w: usize, at: &[(usize, usize)]) -> Planes {
        let mut pixels = vec![40u8; h * w];
        for &(y, x) in at {
            for dy in 0..3 {
                for dx in 0..2 {
                    pixels[(y + dy) * w + x + dx] = 220;
                }
            }
            pixels[(y + 3) * w + x] = 130;
        }
        Planes {
            pixels,
            channels: 1,
            h,
            w,
        }
    }

    #[test]
    fn copies_of_a_motif_are_counted() {
        for k in 2..=5 {
            let at: Vec<_> = (0..k).map(|i| (10, 2 + 5 * i)).collect();
            let r = find(&motif_at(28, 28, &at)).expect("a repetition");
            assert_eq!(r.period, (0, 5), "{k} copies");
            assert_eq!(r.copies.len(), k, "{k} copies: {r:?}");
        }
        // diagonal, and vertical
        let r = find(&motif_at(28, 28, &[(1, 1), (8, 7), (15, 13), (22, 19)])).unwrap();
        assert_eq!((r.period, r.copies.len()), ((7, 6), 4));
        let r = find(&motif_at(28, 28, &[(2, 12), (9, 12), (16, 12)])).unwrap();
        assert_eq!((r.period, r.copies.len()), ((7, 0), 3));
    }

    #[test]
    fn one_motif_is_no_repetition() {
        assert_eq!(find(&motif_at(28, 28, &[(10, 10)])), None);
        assert_eq!(find(&motif_at(28, 28, &[])), None);
    }

    #[test]
    fn large_colour_images_are_searched_at_a_smaller_size_and_refined() {
        // 256 × 256, three channels, six vertical bars 37 pixels apart
        let (h, w) = (256, 256);
        let mut pixels = vec![10u8; 3 * h * w];
        for c in 0..3 {
            for y in 30..220 {
                for b in 0..6 {
                    for x in 0..12 {
                        pixels[c * h * w + y * w + 20 + 37 * b + x] = 200 - 30 * c as u8;
                    }
                }
            }
        }
        let p = Planes {
            pixels,
            channels: 3,
            h,
            w,
        };
        let r = find(&p).unwrap();
        assert_eq!((r.period, r.copies.len()), ((0, 37), 6));
        assert_eq!(background(&p), vec![10, 10, 10]);
    }

    #[test]
    fn removal_paints_whole_copies_in_the_background() {
        let at: Vec<_> = (0..4).map(|i| (10, 2 + 6 * i)).collect();
        let p = motif_at(28, 28, &at);
        let r = find(&p).unwrap();
        let bg = background(&p);
        assert_eq!(bg, vec![40]);
        let bright = |q: &Planes| q.pixels.iter().filter(|&&v| v > 40).count();
        assert_eq!(bright(&p), 4 * 7);
        assert_eq!(bright(&r.remove(&p, Removal::One, &bg)), 3 * 7);
        assert_eq!(bright(&r.remove(&p, Removal::Half, &bg)), 2 * 7);
        assert_eq!(bright(&r.remove(&p, Removal::AllButOne, &bg)), 7);
        // what stays after removing all but one is the copy that one removal takes
        let left = r.remove(&p, Removal::AllButOne, &bg);
        let one = r.remove(&p, Removal::One, &bg);
        for i in 0..p.pixels.len() {
            assert!(!(left.pixels[i] > 40 && one.pixels[i] > 40));
        }
    }

    #[test]
    fn patches_cover_the_image() {
        let ps = patches(28, 28, 4, 3);
        let mut covered = vec![false; 28 * 28];
        for &(y, x) in &ps {
            assert!(y + 4 <= 28 && x + 4 <= 28);
            for yy in y..y + 4 {
                for xx in x..x + 4 {
                    covered[yy * 28 + xx] = true;
                }
            }
        }
        assert!(covered.iter().all(|&c| c));
        assert_eq!(patches(28, 28, 4, 4).len(), 49);
        assert_eq!(patches(5, 5, 5, 2), vec![(0, 0)]);
        let p = motif_at(28, 28, &[(10, 10)]);
        let o = occlude(&p, (10, 10), 4, &[40]);
        assert!(o.pixels.iter().all(|&v| v == 40));
    }
}
