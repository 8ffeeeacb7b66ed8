"""Ctrl-C stops `migflow.run` and `migflow.sweep` with KeyboardInterrupt and
leaves no partial file (a sweep keeps its finished runs, and resumes)."""

import _thread
import json
import threading
import time

import pytest

import migflow
from conftest import same_files

#: When the simulated Ctrl-C comes: well after the work starts, long before
#: it could end (the work below takes several seconds on two cores).
AFTER = 0.5


def big_scenario() -> migflow.Scenario:
    s = migflow.Scenario.default()
    s.set("population.households", 100000)
    s.set("run.years", 15)
    return s


def interrupted(work):
    """Run `work` with a simulated Ctrl-C after `AFTER` seconds; the seconds it took."""
    timer = threading.Timer(AFTER, _thread.interrupt_main)
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            work()
    finally:
        timer.cancel()
    return time.monotonic() - t0


def test_ctrl_c_stops_a_run_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    took = interrupted(lambda: migflow.run(big_scenario(), replicates=8, seed=3, out=out))
    assert took < AFTER + 1.5, took  # stopped: the whole run takes about 3 s
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], left


def test_ctrl_c_keeps_an_earlier_run(tmp_path):
    out = tmp_path / "run"
    small = migflow.Scenario.default()
    small.set("population.households", 300)
    small.set("run.years", 3)
    before = migflow.run(small, seed=1, out=out)
    files = {n: (out / n).read_bytes() for n in before.files + ["manifest.json"]}
    interrupted(lambda: migflow.run(big_scenario(), replicates=8, seed=3, out=out))
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (out / name).read_bytes() == data, name
    migflow.read(out)


BIG_SWEEP = """\
base = "default"
seed = 9
replicates = 2
[design]
kind = "grid"
[[factors]]
path = "levers.workshops.workshop_jobs_share"
levels = [0.0, 0.04, 0.08, 0.12, 0.16, 0.2]
[[factors]]
path = "population.households"
levels = [60000]
"""


def test_ctrl_c_stops_a_sweep_that_then_resumes(cli, tmp_path):
    import subprocess

    (tmp_path / "big.toml").write_text(BIG_SWEEP, encoding="utf-8")
    out = tmp_path / "py"
    took = interrupted(lambda: migflow.sweep(tmp_path / "big.toml", out, progress=False))
    assert took < AFTER + 2.0, took
    # No result file: the directory is an unfinished sweep that readers refuse.
    assert not (out / "runs.csv").exists() and not (out / "trajectories.csv").exists()
    with pytest.raises(migflow.ResultsError):
        migflow.read(out)
    done = migflow.sweep(tmp_path / "big.toml", out, resume=True, progress=False)
    assert done.completed == 12
    ref = tmp_path / "cli"
    subprocess.run([str(cli), "sweep", str(tmp_path / "big.toml"), "--out", str(ref), "-q"], check=True)
    with open(ref / "manifest.json", encoding="utf-8") as f:
        names = [e["name"] for e in json.load(f)["files"]]
    same_files(out, ref, names)
