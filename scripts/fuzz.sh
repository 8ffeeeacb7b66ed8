#!/usr/bin/env bash
# Run every cargo-fuzz target for a while and summarise.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Each target starts from its seed corpus in fuzz/corpus/<target>/ (kept in
# git) and adds what it finds to fuzz/work/<target>/ (not in git), so the
# seeds stay small and reviewed. A crash, a timeout (10 s per input) or an
# input that needs more than 4 GB fails the script; libFuzzer saves the
# input under fuzz/artifacts/<target>/ and prints how to replay it.
#
# cargo fuzz needs nightly-only compiler flags (sanitizer coverage, ASan).
# The machine has a stable toolchain only, so RUSTC_BOOTSTRAP=1 unlocks
# them on stable; the fuzz crate is a separate workspace and never touches
# the main build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(scenario population_csv sweep calibration results shard_manifest table_design targets_file)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
status=0
printf '%-16s %10s %8s %12s %8s  %s\n' target seconds runs execs/s corpus result
for t in "${targets[@]}"; do
    mkdir -p "fuzz/work/$t"
    log="fuzz/work/$t.log"
    set +e
    cargo fuzz run -O "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    corpus=$(find "fuzz/work/$t" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, see $log)"
        status=1
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -10 >&2 || true
    fi
    printf '%-16s %10s %8s %12s %8s  %s\n' "$t" "$seconds" "$runs" "$rate" "$corpus" "$result"
done
exit $status
