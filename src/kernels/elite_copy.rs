//! Launcher of `elite_copy` (shaders/elite_copy.wgsl).

use super::{check_len, launch, Offsets, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct CopyParams for [EliteCopy] {
        pub(super) batch: u32,
        pub(super) classes: u32,
        pub(super) genes: u32,
        pub(super) first_child: u32,
        pub(super) first_cell: u32,
        pub(super) _pad: [u32; 3],
    }
}

/// `archive[c, :] = children[winner[c], :]` for every cell with a new elite. With `at` other
/// than the default, `archive` holds the cells from `at.cell` and `children` the children
/// from `at.child`; a cell is written when its winner is in `children`.
pub fn elite_copy(
    gpu: &Gpu,
    genes: usize,
    at: Offsets,
    children: View<'_>,
    winner: View<'_>,
    archive: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "elite_copy";
    let classes = archive.len / genes.max(1);
    let batch = children.len / genes.max(1);
    check_len(K, "archive", archive.len, classes * genes)?;
    check_len(K, "children", children.len, batch * genes)?;
    if at.cell + classes > winner.len {
        return Err(super::bad_shape(
            K,
            "winner",
            "an entry for every cell",
            format!(
                "{} entries for cells {}..{}",
                winner.len,
                at.cell,
                at.cell + classes
            ),
        ));
    }
    // 16 genes per invocation (GENES_PER in the shader)
    let grid = grid_for(gpu, K, (classes * genes.div_ceil(16)).div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::EliteCopy, K, &[]),
        &[
            ("children", children),
            ("winner", winner),
            ("archive", archive),
        ],
        &CopyParams {
            batch: batch as u32,
            classes: classes as u32,
            genes: genes as u32,
            first_child: at.child as u32,
            first_cell: at.cell as u32,
            _pad: [0; 3],
        },
        grid,
    )
}
