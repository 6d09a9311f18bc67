#!/usr/bin/env bash
# Runs every randomised test of the suite (those that draw through `for_each_seed`) over a
# range of seeds, and lists the seeds each test failed for: a failure on correct code is a
# test to make sound, a failure that shows a fault is a fix to make; either way the seed
# becomes one of that test's regression seeds in CI.
#
#   tools/seed_sweep.sh [FIRST..END] [FILTER]
#
# Default range 0..300. FILTER (a substring of `module::test`) runs part of the list. The
# suite is the one `cargo test` builds (the same binary CI runs); each test runs its seeds
# in one process, with the device pipelines built once. The log of each test
# goes to target/seed-sweep/<test>.log; the summary, one line a test, to standard output and
# to target/seed-sweep/done (with the range and the commit). A sweep that was stopped goes on
# where it stopped when run again: a test that passed this range is not run again (the
# commit it passed at is in that line; delete target/seed-sweep/done to start over).
set -uo pipefail

range=${1:-0..300}
filter=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# the tests that call for_each_seed, as module::name
tests=$(for f in tests/suite/*.rs; do
    awk -v m="$(basename "$f" .rs)" '
        /^fn [a-z0-9_]+\(/ { match($0, /fn [a-z0-9_]+/); name = substr($0, RSTART + 3, RLENGTH - 3) }
        /for_each_seed\(/ && name != "" { print m "::" name; name = "" }' "$f"
done | grep -F -- "$filter")

cargo test --test suite --no-run || exit 1
bin=$(cargo test --test suite --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
mkdir -p target/seed-sweep
echo "seeds $range, $(echo "$tests" | wc -l) randomised tests, $(date -u +%FT%TZ)"
status=0
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
touch target/seed-sweep/done
for t in $tests; do
    earlier=$(grep -F "ok     $t $range " target/seed-sweep/done | head -n 1)
    if [ -n "$earlier" ]; then
        echo "ok     $t (earlier, at ${earlier##* })"
        continue
    fi
    start=$(date +%s)
    FOOLING_TEST_SEED=$range "$bin" --exact "$t" --test-threads 1 --nocapture \
        >"target/seed-sweep/$t.log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    failed=$(sed -n "s/^SEED FAILURES [^:]*: //p" "target/seed-sweep/$t.log")
    if [ $rc -eq 0 ]; then
        echo "ok     $t (${took} s)"
        echo "ok     $t $range $commit" >>target/seed-sweep/done
    else
        status=1
        echo "FAILED $t (${took} s): seeds ${failed:-none listed: see target/seed-sweep/$t.log}"
    fi
done
exit $status
