#!/usr/bin/env bash
# The device check: the whole test suite with each kernel variant (tiled, direct, subgroup),
# every bench (the forward bench once per variant, so each kernel's fraction of the GPU's
# measured peak says which variant wins per shape there), and the PyTorch peer, on a machine
# with a GPU and no Rust toolchain, written as Markdown for BENCHMARKS.md.
#
#   tools/device_check.sh pack [DIR]   here, on a machine like CI's: build the test suite,
#                                      the benches and the binary in release mode, strip
#                                      them, and pack them with the Vulkan loader into DIR
#                                      (default .device/, ignored by git; carry it)
#   tools/device_check.sh run [DIR]    there, from the repository root: unpack, run, and
#                                      write DIR/device_check.md (and $OUT/device_check.md
#                                      when $OUT is set)
#
# `run` took about 8 minutes on an H100-class GPU with two variants: the suite once per
# variant, then the benches in full (forward per variant, train, evolve with the peer,
# ascent, imagenet, resnet, dogs). FOOLING_DEVICE_QUICK=1 runs the benches in their quick mode instead
# (what a CPU adapter such as lavapipe can finish). Without an adapter the suite fails, and
# the report says so: the script still writes it and exits 1.
#
# The compiled-in paths of the suite (the repository root it was built in, and the binary
# it spawns) are made to resolve on the device: when that root does not exist there, the
# script links it to the current directory.
set -uo pipefail

mode=${1:-}
dir=${2:-.device}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pack() {
    set -e
    mkdir -p "$dir/bin" "$dir/lib"
    rm -f "$dir"/bin/* "$dir"/lib/*
    echo "== building (release): the suite, the benches, the binary"
    cargo build --release --quiet
    local exes
    exes=$( (cargo test --release --no-run --message-format=json 2>/dev/null;
             cargo bench --no-run --message-format=json 2>/dev/null) |
        python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] != ["bin"]:
        kind = m["target"]["kind"][0]
        if kind in ("test", "bench") and m["target"]["name"] != "fooling":
            print(m["target"]["name"], m["executable"])
')
    while read -r name exe; do
        [ -n "$name" ] || continue
        cp "$exe" "$dir/bin/$name"
    done <<<"$exes"
    cp target/release/fooling "$dir/bin/fooling"
    strip --strip-all "$dir"/bin/*
    cp -L "$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF; exit}')" "$dir/lib/libvulkan.so.1"
    echo "$root" >"$dir/root"
    git rev-parse HEAD >"$dir/commit" 2>/dev/null || echo unknown >"$dir/commit"
    (cd "$dir" && tar -cJf bin.tar.xz bin && rm -rf bin)
    echo "== packed into $dir: $(du -sh "$dir" | cut -f1) (bin.tar.xz, lib/, root, commit)"
    ls -la "$dir"
}

run() {
    [ -f "$dir/bin.tar.xz" ] || { echo "no $dir/bin.tar.xz: run '$0 pack' first, and carry $dir"; exit 2; }
    local started=$SECONDS work md out_md
    work=$(mktemp -d)
    tar -xJf "$dir/bin.tar.xz" -C "$work"
    local bin="$work/bin"
    export LD_LIBRARY_PATH="$root/$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
        export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    fi
    # the suite's compiled-in repository root and binary
    local built
    built=$(cat "$dir/root")
    if [ "$built" != "$root" ] && [ ! -e "$built" ]; then
        mkdir -p "$(dirname "$built")" && ln -s "$root" "$built"
    fi
    mkdir -p "$root/target/release"
    cp "$bin/fooling" "$root/target/release/fooling"
    md="$dir/device_check.md"
    {
        echo "## Device check, $(date -u +%Y-%m-%d), commit $(cut -c1-7 "$dir/commit")"
        echo
        echo "Command: \`tools/device_check.sh run\` (binaries built by \`tools/device_check.sh pack\`)."
        echo
        echo '```'
        "$bin/fooling" info 2>&1 | head -4
        echo '```'
    } >"$md"
    local status=0
    for kernels in tiled direct subgroup; do
        local t0=$SECONDS log="$work/suite-$kernels.log"
        FOOLING_KERNELS=$kernels "$bin/suite" >"$log" 2>&1
        local rc=$?
        [ $rc -eq 0 ] || status=1
        {
            echo
            echo "Test suite, \`FOOLING_KERNELS=$kernels\`: $(grep -E '^test result' "$log" | tail -1) (exit $rc, $((SECONDS - t0)) s)"
            grep -E '^test .* FAILED$' "$log" | sed 's/^/- /' || true
        } >>"$md"
    done
    local quick=()
    [ "${FOOLING_DEVICE_QUICK:-0}" = 1 ] && quick=(--quick)
    if python3 -c 'import torch, safetensors' 2>/dev/null; then
        export FOOLING_PEER_PYTHON=python3
        python3 -c 'import torch; exit(0 if torch.cuda.is_available() else 1)' && export FOOLING_PEER_DEVICE=cuda
    fi
    for kernels in tiled direct subgroup; do
        [ -x "$bin/forward" ] || break
        local t0=$SECONDS
        {
            echo
            echo "### \`cargo bench --bench forward -- --kernels $kernels${quick:+ --quick}\`"
            echo
            "$bin/forward" --kernels "$kernels" "${quick[@]}" 2>&1
            echo
            echo "($((SECONDS - t0)) s)"
        } >>"$md" || status=1
    done
    for b in train evolve ascent imagenet resnet dogs; do
        [ -x "$bin/$b" ] || continue
        local t0=$SECONDS
        {
            echo
            echo "### \`cargo bench --bench $b${quick:+ -- --quick}\`"
            echo
            "$bin/$b" "${quick[@]}" 2>&1
            echo
            echo "($((SECONDS - t0)) s)"
        } >>"$md" || status=1
    done
    echo >>"$md"
    echo "Whole check: $((SECONDS - started)) s." >>"$md"
    if [ -n "${OUT:-}" ]; then
        out_md="$OUT/device_check.md"
        cp "$md" "$out_md"
        for k in tiled direct subgroup; do cp "$work/suite-$k.log" "$OUT/suite-$k.log"; done
    fi
    cat "$md"
    rm -rf "$work"
    exit $status
}

case "$mode" in
    pack) pack ;;
    run) run ;;
    *) echo "usage: $0 pack|run [DIR]"; exit 2 ;;
esac
