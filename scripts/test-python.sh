#!/usr/bin/env bash
# The Python package `migflow` (crates/migflow-py): installs with one
# command into a fresh virtual environment, as a user's machine would
# (pip fetches maturin as the build backend), then its tests run against
# the CLI built here.
#
#   scripts/test-python.sh
#
# The wheel's Rust build uses crates/migflow-py/target (its own workspace),
# so it does not hold the main target directory's lock.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo build --release --quiet -p migflow-cli
export MIGFLOW_CLI="$root/target/release/migflow"

venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    ./crates/migflow-py pytest==9.0.3 pandas==2.3.3 \
    numpy==1.26.4 pyarrow==21.0.0 polars==2.1.0 scipy==1.13.1 \
    SALib==1.5.0 ema_workbench==2.5.3 seaborn==0.13.2 scikit-learn==1.5.1 \
    statsmodels==0.14.2 platypus-opt==1.3.1 tqdm==4.66.4 \
    matplotlib==3.10.9 nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 ipython==9.18.1
# Run from outside the source tree, so that `import migflow` is the
# installed package, not crates/migflow-py/python.
cd "$(dirname "$venv")"
"$venv/bin/python" -m pytest "$root/crates/migflow-py/tests" -q -p no:cacheprovider
