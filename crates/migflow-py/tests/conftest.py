"""Shared fixtures: a small scenario file, the CLI binary, and its run."""

import os
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


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(small_scenario().to_toml(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("MIGFLOW_CLI", ROOT / "target" / "release" / "migflow"))
    if not path.is_file():
        pytest.skip(f"{path}: no migflow CLI binary (run `cargo build --release` at the root)")
    return path


@pytest.fixture(scope="session")
def cli_run(cli, scenario_file, tmp_path_factory) -> Path:
    """The CLI's run of the small scenario: seed 7, 2 replicates."""
    out = tmp_path_factory.mktemp("cli") / "results"
    subprocess.run(
        [str(cli), "run", str(scenario_file), "--seed", "7", "-r", "2", "-o", str(out), "-q"],
        check=True,
    )
    return out
