"""Shared fixtures: small scenario and sweep files, the CLI binary, and its outputs."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import migflow

ROOT = Path(__file__).resolve().parents[3]


def small_scenario() -> migflow.Scenario:
    """500 households over 4 years: a run of a fraction of a second."""
    s = migflow.Scenario.default()
    s.set("population.households", 500)
    s.set("run.years", 4)
    return s


def tiny_scenario_toml() -> str:
    """300 households over 3 years, the base of the test sweeps."""
    s = migflow.Scenario.default()
    s.set("population.households", 300)
    s.set("run.years", 3)
    return s.to_toml()


#: A grid sweep of 3 points × 2 replicates whose base is `tiny.toml`
#: beside it (a relative path: resolved against the sweep file's directory,
#: or against the working directory for text and dicts).
GRID_SWEEP = """\
base = "tiny.toml"
seed = 5
replicates = 2
[design]
kind = "grid"
[[factors]]
path = "levers.workshops.workshop_jobs_share"
levels = [0.0, 0.08, 0.16]
"""

#: Two policies over a Latin hypercube of two uncertainties (12 points, 1
#: replicate): enough for sensitivity (PRCC), discover and robust.
POLICY_SWEEP = """\
base = "tiny.toml"
seed = 11
replicates = 1
[design]
kind = "lhs"
points = 12
[[uncertainties]]
path = "economy.w_out_month"
min = 3000
max = 4600
[[uncertainties]]
path = "economy.p_loss_out"
min = 0.1
max = 0.35
[[policies]]
name = "baseline"
[[policies]]
name = "workshops"
set = { "levers.workshops.workshop_jobs_share" = 0.16 }
"""


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(small_scenario().to_toml(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sweep_files(tmp_path_factory) -> Path:
    """A directory holding tiny.toml, grid.toml and policies.toml."""
    d = tmp_path_factory.mktemp("sweeps")
    (d / "tiny.toml").write_text(tiny_scenario_toml(), encoding="utf-8")
    (d / "grid.toml").write_text(GRID_SWEEP, encoding="utf-8")
    (d / "policies.toml").write_text(POLICY_SWEEP, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("MIGFLOW_CLI", ROOT / "target" / "release" / "migflow"))
    if not path.is_file():
        pytest.skip(f"{path}: no migflow CLI binary (run `cargo build --release` at the root)")
    return path


def run_cli(cli, *args, cwd=None):
    """Run the CLI, failing with its stderr."""
    done = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="session")
def cli_run(cli, scenario_file, tmp_path_factory) -> Path:
    """The CLI's run of the small scenario: seed 7, 2 replicates."""
    out = tmp_path_factory.mktemp("cli") / "results"
    run_cli(cli, "run", scenario_file, "--seed", "7", "-r", "2", "-o", out, "-q")
    return out


@pytest.fixture(scope="session")
def cli_grid(cli, sweep_files, tmp_path_factory) -> Path:
    """The CLI's sweep of grid.toml."""
    out = tmp_path_factory.mktemp("cli-grid") / "sweep"
    run_cli(cli, "sweep", sweep_files / "grid.toml", "--out", out, "-q")
    return out


@pytest.fixture(scope="session")
def cli_policies(cli, sweep_files, tmp_path_factory) -> Path:
    """The CLI's sweep of policies.toml."""
    out = tmp_path_factory.mktemp("cli-policies") / "sweep"
    run_cli(cli, "sweep", sweep_files / "policies.toml", "--out", out, "-q")
    return out


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def same_files(a: Path, b: Path, names, skip=("manifest.json", "timing.json")):
    """Every file of `names` is the same bytes in `a` and `b`."""
    for name in names:
        if name in skip:
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
