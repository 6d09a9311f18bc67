//! CPPN genomes (docs/paper.md §4): feed-forward networks evaluated once per pixel, grown
//! NEAT-style by mutation, compiled into padded, topologically sorted programs so a whole
//! population renders in one dispatch.
//!
//! Nodes 0–3 are the inputs x (column index), y (row index), d (distance from the centre
//! with x, y scaled to [−1, 1]) and bias (1.0); the outputs follow (1 for grey, 3 for
//! colour); hidden nodes come after. Weights are stored as genotypes g ∈ [0, 1] with
//! w = 20 g − 10.

use rand::Rng;

/// The grey level of an output, floor(|out| · 255) with a thousandth of a level of slack (as
/// shaders/render_cppn.wgsl): a saturated output is exactly 1 on one device and an ULP short
/// on another, and floor alone would make that a whole grey level.
fn byte(out: f32) -> f32 {
    (out.abs().min(1.0) * 255.0 + 1e-3).floor()
}

/// Inputs: x, y, d, bias.
pub const INPUTS: usize = 4;

/// A node's activation function (protected: finite for any input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Act {
    /// sin(p), with p wrapped into [−π, π].
    Sine,
    /// tanh(p / 2) = 2σ(p) − 1, with p clamped to ±40.
    Sigmoid,
    /// exp(−p²), with p clamped to ±20.
    Gaussian,
    /// clamp(p, −3, 3) / 3.
    Linear,
}

impl Act {
    pub const ALL: [Act; 4] = [Act::Sine, Act::Sigmoid, Act::Gaussian, Act::Linear];

    pub fn code(self) -> u32 {
        self as u32
    }

    /// The activation, as the shader computes it.
    pub fn apply(self, p: f32) -> f32 {
        match self {
            Act::Sine => {
                let tau = std::f32::consts::TAU;
                let wrapped = p - tau * ((p + std::f32::consts::PI) / tau).floor();
                wrapped.sin()
            }
            Act::Sigmoid => (p.clamp(-40.0, 40.0) * 0.5).tanh(),
            Act::Gaussian => {
                let q = p.clamp(-20.0, 20.0);
                (-q * q).exp()
            }
            Act::Linear => p.clamp(-3.0, 3.0) / 3.0,
        }
    }

    fn random(rng: &mut impl Rng) -> Act {
        Act::ALL[rng.gen_range(0..4)]
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Genotype in [0, 1]; the weight is 20 g − 10.
    pub g: f32,
}

impl Edge {
    pub fn weight(&self) -> f32 {
        20.0 * self.g - 10.0
    }
}

/// Limits that keep every genome within the compiled program's padded capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Capacity {
    pub nodes: usize,
    pub edges: usize,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            nodes: 64,
            edges: 256,
        }
    }
}

/// A CPPN: activations of the non-input nodes (outputs first, then hidden) and the edges.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cppn {
    pub outputs: usize,
    /// Activation of node `INPUTS + i`.
    pub acts: Vec<Act>,
    pub edges: Vec<Edge>,
}

/// The mutation probabilities of docs/paper.md §4.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CppnMutation {
    pub weight: f64,
    pub activation: f64,
    pub add_edge: f64,
    pub delete_edge: f64,
    pub add_node: f64,
    pub delete_node: f64,
    /// Polynomial mutation's η for the weights' genotypes.
    pub eta: f64,
}

impl Default for CppnMutation {
    fn default() -> Self {
        CppnMutation {
            weight: 0.1,
            activation: 0.1,
            add_edge: 0.5,
            delete_edge: 0.3,
            add_node: 0.5,
            delete_node: 0.2,
            eta: 15.0,
        }
    }
}

fn poly(g: f32, eta: f64, rng: &mut impl Rng) -> f32 {
    let u: f64 = rng.gen();
    let e = 1.0 / (eta + 1.0);
    let delta = if u < 0.5 {
        (2.0 * u).powf(e) - 1.0
    } else {
        1.0 - (2.0 * (1.0 - u)).powf(e)
    };
    (g as f64 + delta).clamp(0.0, 1.0) as f32
}

impl Cppn {
    /// The initial genome: no hidden nodes, every input connected to every output with
    /// w = 20 g − 10, g ~ U[0, 1), each output's activation drawn uniformly.
    pub fn random(outputs: usize, rng: &mut impl Rng) -> Cppn {
        let acts = (0..outputs).map(|_| Act::random(rng)).collect();
        let mut edges = Vec::new();
        for o in 0..outputs {
            for i in 0..INPUTS {
                edges.push(Edge {
                    from: i,
                    to: INPUTS + o,
                    g: rng.gen(),
                });
            }
        }
        Cppn {
            outputs,
            acts,
            edges,
        }
    }

    pub fn nodes(&self) -> usize {
        INPUTS + self.acts.len()
    }

    fn is_output(&self, n: usize) -> bool {
        (INPUTS..INPUTS + self.outputs).contains(&n)
    }

    fn is_hidden(&self, n: usize) -> bool {
        n >= INPUTS + self.outputs
    }

    /// True when `target` can be reached from `from` along edges.
    fn reaches(&self, from: usize, target: usize) -> bool {
        let mut stack = vec![from];
        let mut seen = vec![false; self.nodes()];
        while let Some(n) = stack.pop() {
            if n == target {
                return true;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            stack.extend(self.edges.iter().filter(|e| e.from == n).map(|e| e.to));
        }
        false
    }

    /// Applies the six operators of docs/paper.md §4, each with its probability; any that
    /// would exceed `cap` is skipped. The graph stays acyclic.
    pub fn mutate(&mut self, m: &CppnMutation, cap: Capacity, rng: &mut impl Rng) {
        for e in &mut self.edges {
            if rng.gen_bool(m.weight) {
                e.g = poly(e.g, m.eta, rng);
            }
        }
        for a in &mut self.acts {
            if rng.gen_bool(m.activation) {
                *a = Act::random(rng);
            }
        }
        if rng.gen_bool(m.add_edge) && self.edges.len() < cap.edges {
            // from a non-output node to a node that is neither an input nor an ancestor of the source
            let sources: Vec<usize> = (0..self.nodes()).filter(|&n| !self.is_output(n)).collect();
            let from = sources[rng.gen_range(0..sources.len())];
            let targets: Vec<usize> = (INPUTS..self.nodes())
                .filter(|&n| n != from && !self.reaches(n, from))
                .collect();
            if !targets.is_empty() {
                let to = targets[rng.gen_range(0..targets.len())];
                let g = rng.gen();
                if !self.edges.iter().any(|e| e.from == from && e.to == to) {
                    self.edges.push(Edge { from, to, g });
                }
            }
        }
        if rng.gen_bool(m.delete_edge) && !self.edges.is_empty() {
            let i = rng.gen_range(0..self.edges.len());
            self.edges.remove(i);
        }
        if rng.gen_bool(m.add_node)
            && !self.edges.is_empty()
            && self.nodes() < cap.nodes
            && self.edges.len() < cap.edges
        {
            // split a -> b into a -> n -> b; both new edges keep the old weight
            let i = rng.gen_range(0..self.edges.len());
            let old = self.edges.remove(i);
            let n = self.nodes();
            self.acts.push(Act::random(rng));
            self.edges.push(Edge {
                from: old.from,
                to: n,
                g: old.g,
            });
            self.edges.push(Edge {
                from: n,
                to: old.to,
                g: old.g,
            });
        }
        if rng.gen_bool(m.delete_node) {
            let hidden: Vec<usize> = (INPUTS + self.outputs..self.nodes()).collect();
            if !hidden.is_empty() {
                let n = hidden[rng.gen_range(0..hidden.len())];
                self.edges.retain(|e| e.from != n && e.to != n);
                self.acts.remove(n - INPUTS);
                for e in &mut self.edges {
                    if e.from > n {
                        e.from -= 1;
                    }
                    if e.to > n {
                        e.to -= 1;
                    }
                }
            }
        }
    }

    /// The non-input nodes in an order where every edge goes forward (Kahn's algorithm);
    /// `None` if the graph has a cycle.
    pub fn topological_order(&self) -> Option<Vec<usize>> {
        let n = self.nodes();
        let mut indegree = vec![0usize; n];
        for e in &self.edges {
            indegree[e.to] += 1;
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        ready.sort_unstable_by(|a, b| b.cmp(a)); // pop the smallest first: a deterministic order
        let mut order = Vec::with_capacity(n);
        while let Some(v) = ready.pop() {
            order.push(v);
            for e in self.edges.iter().filter(|e| e.from == v) {
                indegree[e.to] -= 1;
                if indegree[e.to] == 0 {
                    ready.push(e.to);
                    ready.sort_unstable_by(|a, b| b.cmp(a));
                }
            }
        }
        (order.len() == n).then(|| order.into_iter().filter(|&v| v >= INPUTS).collect())
    }

    /// Whether the genome is well formed: acyclic, edges between existing nodes, no edge into
    /// an input or out of an output, no duplicate edge, within `cap`.
    pub fn is_valid(&self, cap: Capacity) -> bool {
        let n = self.nodes();
        let mut seen = std::collections::HashSet::new();
        self.edges.iter().all(|e| {
            e.from < n
                && e.to < n
                && e.to >= INPUTS
                && !self.is_output(e.from)
                && seen.insert((e.from, e.to))
                && (0.0..=1.0).contains(&e.g)
        }) && self.topological_order().is_some()
            && n <= cap.nodes
            && self.edges.len() <= cap.edges
            && (INPUTS..n).all(|v| self.is_output(v) || self.is_hidden(v))
    }

    /// The network's inputs at pixel (col, row) of a `w × h` image: x and y as raw indices
    /// (as the authors' code), d from the coordinates scaled to [−1, 1], bias 1.
    pub fn inputs(col: usize, row: usize, w: usize, h: usize) -> [f32; INPUTS] {
        let scale = |v: usize, len: usize| {
            if len > 1 {
                2.0 * v as f32 / (len - 1) as f32 - 1.0
            } else {
                0.0
            }
        };
        let (xn, yn) = (scale(col, w), scale(row, h));
        [col as f32, row as f32, (xn * xn + yn * yn).sqrt(), 1.0]
    }

    /// Evaluates the CPPN at one pixel: the outputs' values.
    pub fn eval(&self, inputs: [f32; INPUTS]) -> Vec<f32> {
        let order = self.topological_order().expect("an acyclic genome");
        let mut v = vec![0f32; self.nodes()];
        v[..INPUTS].copy_from_slice(&inputs);
        for n in order {
            let p: f32 = self
                .edges
                .iter()
                .filter(|e| e.to == n)
                .map(|e| e.weight() * v[e.from])
                .sum();
            v[n] = self.acts[n - INPUTS].apply(p);
        }
        v[INPUTS..INPUTS + self.outputs].to_vec()
    }

    /// Renders a grey (1 output) `w × h` image: pixel = floor(|out| · 255).
    pub fn render_grey(&self, w: usize, h: usize) -> Vec<u8> {
        let mut px = Vec::with_capacity(w * h);
        for row in 0..h {
            for col in 0..w {
                let o = self.eval(Self::inputs(col, row, w, h))[0];
                px.push(byte(o) as u8);
            }
        }
        px
    }
}

/// Words in a compiled program's header.
pub const HEADER: usize = 8;

impl Capacity {
    /// u32 words per compiled genome: the header, then `[act, edge_end]` per non-input node,
    /// then `[source slot, weight bits]` per edge.
    pub fn stride(&self) -> usize {
        HEADER + 2 * (self.nodes - INPUTS) + 2 * self.edges
    }
}

impl Cppn {
    /// The genome as a padded program of `cap.stride()` u32 words (see shaders/render_cppn.wgsl):
    /// `[n, outputs, output slots ×3, 0 ×3]`, the non-input nodes in topological order as
    /// `[activation, end of its edges]`, then the edges as `[source slot, weight]`. Slots
    /// 0–3 are the inputs and slot 4 + t is the t-th node of the order. Edges keep the
    /// genome's order within a node, so the device sums in the same order as [`Cppn::eval`].
    pub fn compile(&self, cap: Capacity) -> Vec<u32> {
        assert!(
            self.nodes() <= cap.nodes && self.edges.len() <= cap.edges,
            "genome beyond capacity"
        );
        let order = self.topological_order().expect("an acyclic genome");
        let mut slot = vec![0u32; self.nodes()];
        for (i, s) in slot.iter_mut().enumerate().take(INPUTS) {
            *s = i as u32;
        }
        for (t, &n) in order.iter().enumerate() {
            slot[n] = (INPUTS + t) as u32;
        }
        let mut prog = vec![0u32; cap.stride()];
        prog[0] = order.len() as u32;
        prog[1] = self.outputs as u32;
        let k = self.outputs.min(3);
        prog[2..2 + k].copy_from_slice(&slot[INPUTS..INPUTS + k]);
        let edges_at = HEADER + 2 * (cap.nodes - INPUTS);
        let mut k = 0;
        for (t, &n) in order.iter().enumerate() {
            for e in self.edges.iter().filter(|e| e.to == n) {
                prog[edges_at + 2 * k] = slot[e.from];
                prog[edges_at + 2 * k + 1] = e.weight().to_bits();
                k += 1;
            }
            prog[HEADER + 2 * t] = self.acts[n - INPUTS].code();
            prog[HEADER + 2 * t + 1] = k as u32;
        }
        prog
    }

    /// Twin of `render_cppn` for one genome: `(outputs, h, w)` byte-valued genes
    /// (floor(|out| · 255) + 0.5) / 255, which `render_grey` and `render_color` turn back into
    /// exactly those bytes.
    pub fn render_genes(&self, w: usize, h: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.outputs * w * h];
        for row in 0..h {
            for col in 0..w {
                for (o, v) in self
                    .eval(Self::inputs(col, row, w, h))
                    .into_iter()
                    .enumerate()
                {
                    out[(o * h + row) * w + col] = (byte(v) + 0.5) / 255.0;
                }
            }
        }
        out
    }
}
