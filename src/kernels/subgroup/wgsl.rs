//! The parts every generated kernel shares: its bindings and params, the entry point that
//! finds the workgroup's block, the accumulators, the broadcast multiply-adds and the stores.
//!
//! Names in the generated text: `i0` is the block's first row and `c0` the lane's first
//! column (it holds columns `c0 .. c0 + 3`); `g` the group (or split) of the tile; `rt{t}` the
//! row lane s loads for rows `i0 + 8t ..`: `i0 + s + 8t`, clamped to the last row; `a{t}` its
//! element at the current k, `bv` the lane's four elements of B; `acc{r}` row `i0 + r`'s four
//! sums.

use std::fmt::Write;

/// The head of a kernel: the params struct (`fields`, WGSL), the storage bindings in order
/// (`(name, writable)`, arrays of f32), the uniform last, and the boolean overrides `flags`.
pub(super) fn header(fields: &str, bindings: &[(&str, bool)], flags: &[&str]) -> String {
    header_vec4(fields, bindings, &[], flags)
}

/// [`header`] with the bindings named in `vec4` as arrays of `vec4<f32>`.
pub(super) fn header_vec4(
    fields: &str,
    bindings: &[(&str, bool)],
    vec4: &[&str],
    flags: &[&str],
) -> String {
    let mut s = format!("struct Params {{\n{fields}\n}}\n\noverride LANES: u32 = 64u;\n");
    for f in flags {
        let _ = writeln!(s, "override {f}: bool = false;");
    }
    s.push('\n');
    for (i, (name, writable)) in bindings.iter().enumerate() {
        let access = if *writable { "read_write" } else { "read" };
        let ty = if vec4.contains(name) {
            "vec4<f32>"
        } else {
            "f32"
        };
        let _ = writeln!(
            s,
            "@group(0) @binding({i}) var<storage, {access}> {name}: array<{ty}>;"
        );
    }
    let _ = writeln!(
        s,
        "@group(0) @binding({}) var<uniform> p: Params;\n",
        bindings.len()
    );
    s
}

/// The entry point's opening: the tile of this workgroup (`p.num_tiles` tiles, `p.tiles_m`
/// row blocks of `rows` by `p.tiles_n` column blocks, then `g`), `i0`, `c0`, the statements
/// `pre`, and the ⌈rows / 8⌉ row indices `rt{t}` of this lane, clamped below `m` (a WGSL
/// expression, which `pre` may define).
pub(super) fn open(entry: &str, rows: usize, pre: &str, m: &str) -> String {
    let mut s = format!(
        "@compute @workgroup_size(LANES)
fn {entry}(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(subgroup_invocation_id) sid: u32,
) {{
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {{
        return;
    }}
    let tm = tile % p.tiles_m;
    let rest = tile / p.tiles_m;
    let tn = rest % p.tiles_n;
    let g = rest / p.tiles_n;
    let i0 = tm * {rows}u;
    let c0 = (tn * LANES + li) * 4u;
{pre}    let m_last = {m} - 1u;
"
    );
    for t in 0..rows.div_ceil(8) {
        let _ = writeln!(
            s,
            "    let rt{t} = min(i0 + sid % 8u + {}u, m_last);",
            8 * t
        );
    }
    for r in 0..rows {
        let _ = writeln!(s, "    var acc{r} = vec4<f32>(0.0);");
    }
    s
}

/// One k of the product: the loads `a{t} = a_at(t)`, then `bv`'s statements, then every row's
/// multiply-add with its element broadcast from the lane that loaded it. Indented `indent`.
pub(super) fn step(rows: usize, a_at: impl Fn(usize) -> String, bv: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut s = String::new();
    for t in 0..rows.div_ceil(8) {
        let _ = writeln!(s, "{pad}let a{t} = {};", a_at(t));
    }
    for line in bv.lines() {
        let _ = writeln!(s, "{pad}{line}");
    }
    for r in 0..rows {
        let _ = writeln!(
            s,
            "{pad}acc{r} = fma(vec4<f32>(subgroupBroadcast(a{}, {}u)), bv, acc{r});",
            r / 8,
            r % 8
        );
    }
    s
}

/// The stores: for each row `i0 + r` below `m`, the statements `per_row` (which may use
/// `row`), then for each of the lane's columns `c0 + j` below `n` the statements `store`
/// (which may use `row`, `j`, `col` and the value `v = acc{r}[j]`). What does not change along
/// a row or a column belongs in `per_row` or before the stores: on CPU adapters an integer
/// division costs as much as dozens of multiply-adds.
pub(super) fn stores(rows: usize, m: &str, n: &str, per_row: &str, store: &str) -> String {
    let mut s = String::new();
    for r in 0..rows {
        let _ = write!(
            s,
            "    if i0 + {r}u < {m} {{
        let row = i0 + {r}u;
        {per_row}
        for (var j = 0u; j < 4u; j++) {{
            let col = c0 + j;
            if col < {n} {{
                let v = acc{r}[j];
                {store}
            }}
        }}
    }}
"
        );
    }
    s.push_str("}\n");
    s
}
