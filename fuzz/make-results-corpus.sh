#!/usr/bin/env bash
# Seeds for the `results` fuzz target: each file of the small run and sweep
# the target builds (the same scenario, sweep and seeds), prefixed by the
# byte that selects it. Run from the repository root after changing the
# target's fixture or migflow's output formats.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/migflow
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[run]\nyears = 2\nreplicates = 2\n[population]\nhouseholds = 60\nsites = 2\nvillages_per_site = 2\n' >"$tmp/s.toml"
printf 'base = "s.toml"\nseed = 1\nreplicates = 2\n[design]\nkind = "sobol"\nbase_points = 2\n[[factors]]\npath = "decision.beta_net"\nmin = 0.0\nmax = 1.0\n[[factors]]\npath = "levers.workshops.workshop_jobs_share"\nmin = 0.0\nmax = 0.2\n' >"$tmp/sweep.toml"
"$bin" run "$tmp/s.toml" --seed 42 --replicates 2 --threads 1 --households-out --quiet --out "$tmp/run"
"$bin" sweep "$tmp/sweep.toml" --threads 1 --quiet --out "$tmp/sweep"
out=fuzz/corpus/results
rm -rf "$out"
mkdir -p "$out"
k=0
for f in manifest.json trajectories.csv flows.csv summary.csv households.csv; do
  { printf "\\x$(printf %02x $k)"; cat "$tmp/run/$f"; } >"$out/$k-run-$f"
  k=$((k + 1))
done
for f in manifest.json runs.csv trajectories.csv points.csv points_summary.csv; do
  { printf "\\x$(printf %02x $k)"; cat "$tmp/sweep/$f"; } >"$out/$k-sweep-$f"
  k=$((k + 1))
done
ls -la "$out"
