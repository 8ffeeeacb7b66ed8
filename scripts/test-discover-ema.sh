#!/usr/bin/env bash
# Check that `migflow discover` (PRIM) gives the EMA Workbench 2.5.3's
# peeling trajectory, box limits and quasi-p-values on the same input.
#
# Creates a venv (default /tmp/migflow-ema-venv; set EMA_VENV to reuse
# another), installs ema_workbench==2.5.3 with pinned dependencies that work
# on Python 3.11, builds migflow, runs three small real sweeps (an LHS of
# real factors, a grid with an integer factor, an LHS under three policies:
# a categorical factor), runs `migflow discover` on each with several
# outcomes, conditions and settings, and runs scripts/discover_ema_check.py
# on every output. Fails on any difference (relative tolerance 1e-9).
# About a minute once the venv exists.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${EMA_VENV:-/tmp/migflow-ema-venv}"
work="$(mktemp -d /tmp/migflow-discover-ema.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if ! "$venv/bin/python" -c "import ema_workbench; assert ema_workbench.__version__ == '2.5.3'" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q \
        "ema_workbench==2.5.3" "numpy==1.26.4" "pandas==2.2.2" "scipy==1.13.1" \
        "matplotlib==3.8.4" "seaborn==0.13.2" "scikit-learn==1.5.1" \
        "statsmodels==0.14.2" "SALib==1.5.0" "platypus-opt==1.3.1" "tqdm==4.66.4"
fi

(cd "$root" && cargo build --release -q -p migflow-cli)
migflow="$root/target/release/migflow"

# The shipped example sweep, smaller: 60 points of 300 households.
sed -e 's/^points = 40$/points = 60/' -e 's/^levels = \[3000\]$/levels = [300]/' \
    "$root/scenarios/sweeps/behaviour_lhs.toml" > "$work/lhs.toml"
grep -qx 'points = 60' "$work/lhs.toml" && grep -qx 'levels = \[300\]' "$work/lhs.toml" ||
    { echo "behaviour_lhs.toml no longer has the keys this test sets" >&2; exit 1; }

cat > "$work/grid.toml" <<'TOML'
base = "default"
seed = 9
replicates = 1
[design]
kind = "grid"
[[factors]]
path = "levers.training.end_year"
levels = [2021, 2022, 2023, 2024, 2025]
[[factors]]
path = "decision.beta_net"
levels = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
[[factors]]
path = "economy.p_loss_out"
levels = [0.05, 0.15, 0.25, 0.35]
[[factors]]
path = "population.households"
levels = [300]
TOML

cat > "$work/policies.toml" <<'TOML'
base = "default"
seed = 5
replicates = 1
[design]
kind = "lhs"
points = 40
[[uncertainties]]
path = "economy.p_loss_out"
min = 0.05
max = 0.4
[[uncertainties]]
path = "decision.beta_net"
min = 0.5
max = 3.0
[[uncertainties]]
path = "population.households"
levels = [300]
[[policies]]
name = "baseline"
[[policies]]
name = "placements"
set = { "levers.labor_cooperation.placements_share" = 0.10, "levers.labor_cooperation.travel_subsidy" = 1000.0 }
[[policies]]
name = "no_training"
set = { "levers.training.end_year" = 2021 }
TOML

for s in lhs grid policies; do
    "$migflow" sweep "$work/$s.toml" --out "$work/$s" --quiet
done

n=0
discover() {
    n=$((n + 1))
    "$migflow" discover "$@" --out "$work/d$n" > "$work/d$n.log"
    dirs+=("$work/d$n")
}
dirs=()
discover "$work/lhs" --outcome all_mean_poor_share --where "> 0.04"
discover "$work/lhs" --outcome outbound_final_share --where "> 0.3" --threshold 0.9
discover "$work/lhs" --outcome all_mean_poor_share --where "> 0.036" --alpha 0.1 --min-mass 0.1
discover "$work/lhs" --outcome all_mean_poor_share --where "<= 0.035" --threshold 0.99
discover "$work/grid" --outcome outbound_final_share --where "> 0.39"
discover "$work/grid" --outcome all_mean_poor_share --where ">= 0.0397"
discover "$work/grid" --outcome all_mean_poor_share --where "> 0.037" --box 3
discover "$work/grid" --outcome all_final_poor_share --where "> 0.04"
discover "$work/policies" --outcome outbound_final_share --where "> 0.35"
discover "$work/policies" --outcome all_mean_poor_share --where "> 0.04" --threshold 1.0
discover "$work/policies" --outcome all_mean_poor_share --where "< 0.039" --policy placements

"$venv/bin/python" -W ignore "$root/scripts/discover_ema_check.py" "${dirs[@]}"
echo "discover EMA check: all ${#dirs[@]} discoveries equal to EMA Workbench 2.5.3"
