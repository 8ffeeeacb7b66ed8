"""sensitivity, discover, robust, compare and calibrate from Python write the
CLI's files (one library function each) and return readers of them."""

import json

import pytest

import migflow
from conftest import copy_tree, run_cli, same_files


def listed(dir):
    with open(dir / "manifest.json", encoding="utf-8") as f:
        return [e["name"] for e in json.load(f)["files"]]


def manifest_without(dir, *keys):
    with open(dir / "manifest.json", encoding="utf-8") as f:
        m = json.load(f)
    for k in keys:
        m.pop(k, None)
    return m


def test_sensitivity_writes_the_cli_files_in_the_default_place(cli, cli_policies, tmp_path):
    # The defaults (output directory, metrics, bootstrap) are the CLI's.
    a = copy_tree(cli_policies, tmp_path / "a")
    run_cli(cli, "sensitivity", a)
    b = copy_tree(cli_policies, tmp_path / "b")
    r = migflow.sensitivity(b)
    assert isinstance(r, migflow.Analysis)
    assert r.dir == b / "sensitivity"
    # A sensitivity analysis writes no manifest: its files are the directory's.
    assert not (r.dir / "manifest.json").exists()
    assert r.files == sorted(p.name for p in (a / "sensitivity").iterdir())
    same_files(r.dir, a / "sensitivity", r.files)
    lines = (r.dir / "sensitivity.csv").read_text(encoding="utf-8").splitlines()
    assert r["sensitivity"].num_rows == len(lines) - 1
    assert "sensitivity" in r.names
    assert "PRCC" in r.summary or "SRRC" in r.summary


def test_sensitivity_options_reach_the_library(cli, cli_policies, tmp_path):
    run_cli(cli, "sensitivity", cli_policies, "-m", "all_mean_poor_share", "--bootstrap", "20", "--out", tmp_path / "cli")
    r = migflow.sensitivity(cli_policies, out=tmp_path / "py", metrics=["all_mean_poor_share"], bootstrap=20)
    assert r.files == sorted(p.name for p in (tmp_path / "cli").iterdir())
    same_files(r.dir, tmp_path / "cli", r.files)
    assert set(r["sensitivity"].column("metric").to_pylist()) == {
        "baseline:all_mean_poor_share",
        "workshops:all_mean_poor_share",
    }
    with pytest.raises(migflow.Error, match="no_such_metric"):
        migflow.sensitivity(cli_policies, out=tmp_path / "bad", metrics=["no_such_metric"])


def median_outcome(sweep_dir):
    values = sorted(migflow.read(sweep_dir).runs.column("all_mean_poor_share").to_pylist())
    return values[len(values) // 2]


def test_discover_writes_the_cli_files(cli, cli_policies, tmp_path):
    where = f"> {median_outcome(cli_policies)}"
    for method in ["prim", "cart"]:
        c, p = tmp_path / f"cli-{method}", tmp_path / f"py-{method}"
        run_cli(cli, "discover", cli_policies, "--outcome", "all_mean_poor_share", "--where", where,
                "--method", method, "--out", c)
        r = migflow.discover(cli_policies, "all_mean_poor_share", where, method=method, out=p)
        assert listed(r.dir) == listed(c)
        same_files(r.dir, c, listed(c), skip=())
        assert r["cases"].num_rows == 24
    with pytest.raises(migflow.InputError, match="not a method"):
        migflow.discover(cli_policies, "all_mean_poor_share", where, method="tree", out=tmp_path / "x")
    with pytest.raises(migflow.InputError, match="box"):
        migflow.discover(cli_policies, "all_mean_poor_share", where, method="cart", box=1, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_robust_writes_the_cli_files(cli, cli_policies, tmp_path):
    run_cli(cli, "robust", cli_policies, "--outcome", "all_mean_poor_share", "--threshold", "0.05", "--out", tmp_path / "c")
    r = migflow.robust(cli_policies, "all_mean_poor_share", threshold=0.05, out=tmp_path / "p")
    same_files(r.dir, tmp_path / "c", listed(r.dir), skip=())
    assert r["robust"].column("policy").to_pylist() == ["baseline", "workshops"]
    assert r["regret"].num_rows > 0
    with pytest.raises(migflow.InputError, match="threshold"):
        migflow.robust(cli_policies, "all_mean_poor_share", threshold=float("nan"), out=tmp_path / "x")


def test_compare_writes_the_cli_files(cli, sweep_files, cli_grid, tmp_path):
    base, policy = tmp_path / "base", tmp_path / "policy"
    run_cli(cli, "run", sweep_files / "tiny.toml", "-r", "2", "--seed", "4", "-o", base, "-q")
    run_cli(cli, "run", sweep_files / "tiny.toml", "-r", "2", "--seed", "4", "-o", policy, "-q",
            "--set", "levers.workshops.workshop_jobs_share=0.16")
    run_cli(cli, "compare", base, policy, "--out", tmp_path / "c", "--name", "workshops", "--window", "2021-2022")
    r = migflow.compare(base, policy, out=tmp_path / "p", names=["workshops"], window="2021-2022")
    assert listed(r.dir) == listed(tmp_path / "c")
    same_files(r.dir, tmp_path / "c", listed(r.dir))
    # The manifests differ in the command alone.
    assert manifest_without(r.dir, "command") == manifest_without(tmp_path / "c", "command")
    assert set(r["effects"].column("policy").to_pylist()) == {"workshops"}
    with pytest.raises(migflow.InputError, match="is a sweep"):
        migflow.compare(base, cli_grid, out=tmp_path / "x")
    with pytest.raises(migflow.InputError, match="given twice|name"):
        migflow.compare(base, policy, policy, out=tmp_path / "x", names=["a", "a"])
    with pytest.raises(migflow.InputError, match="at least one"):
        migflow.compare(base, out=tmp_path / "x")


CALIBRATION = """\
base = "tiny.toml"
seed = 3
replicates = 1
fit_replicates = 2
[[parameters]]
path = "economy.p_find_base"
min = 0.7
max = 1.0
[[targets]]
metric = "employment_rate"
year = 2021
livelihood = "all"
value = 0.92
sd = 0.01
"""


def test_calibrate_writes_the_cli_files(cli, sweep_files, tmp_path):
    (sweep_files / "calib.toml").write_text(CALIBRATION, encoding="utf-8")
    run_cli(cli, "calibrate", sweep_files / "calib.toml", "--out", tmp_path / "c", "--samples", "20", "-q")
    r = migflow.calibrate(sweep_files / "calib.toml", tmp_path / "p", samples=20, progress=False)
    assert isinstance(r, migflow.Calibration)
    for name in ["samples.csv", "posterior.csv", "fit.csv", "best_fit.toml"]:
        assert (r.dir / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name
    assert r["samples"].num_rows == 20
    assert r["posterior"].num_rows == 2  # accept 0.1 of 20
    assert isinstance(r.best_fit, migflow.Scenario)
    with pytest.raises(migflow.InputError, match="method"):
        migflow.calibrate(sweep_files / "calib.toml", tmp_path / "x", method="mcmc", progress=False)
