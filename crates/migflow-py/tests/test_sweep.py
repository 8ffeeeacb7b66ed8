"""`migflow.sweep` writes the CLI's files; `migflow.read` reads a sweep back."""

import json
import shutil
import sys
import types

import pytest

import migflow
from conftest import GRID_SWEEP, copy_tree, same_files

SWEEP_FILES = ["runs.csv", "trajectories.csv", "failures.csv", "points.csv", "points_summary.csv"]


def listed(dir):
    with open(dir / "manifest.json", encoding="utf-8") as f:
        return [e["name"] for e in json.load(f)["files"]]


def test_sweep_files_are_byte_identical_to_the_cli(sweep_files, cli_grid, tmp_path):
    sw = migflow.sweep(sweep_files / "grid.toml", tmp_path / "py", progress=False)
    assert isinstance(sw, migflow.SweepResults)
    assert sorted(listed(sw.dir)) == sorted(listed(cli_grid))
    for name in SWEEP_FILES:
        assert name in listed(sw.dir), name
    same_files(sw.dir, cli_grid, listed(cli_grid))
    assert sw.completed == 6 and sw.failed == 0
    assert sw.manifest["design"] == "grid"


def test_sweep_text_and_dict_give_the_cli_files(sweep_files, cli_grid, tmp_path, monkeypatch):
    # Their relative `base` resolves against the working directory.
    monkeypatch.chdir(sweep_files)
    text = migflow.sweep(GRID_SWEEP, tmp_path / "text", progress=False)
    same_files(text.dir, cli_grid, listed(cli_grid))
    as_dict = {
        "base": "tiny.toml",
        "seed": 5,
        "replicates": 2,
        "design": {"kind": "grid"},
        "factors": [{"path": "levers.workshops.workshop_jobs_share", "levels": [0.0, 0.08, 0.16]}],
    }
    d = migflow.sweep(as_dict, tmp_path / "dict", progress=False)
    same_files(d.dir, cli_grid, listed(cli_grid))


def test_read_gives_sweep_results_with_the_csv_rows(cli_grid):
    sw = migflow.read(cli_grid)
    assert isinstance(sw, migflow.SweepResults)
    for name in SWEEP_FILES:
        table = getattr(sw, name[: -len(".csv")])
        lines = (cli_grid / name).read_text(encoding="utf-8").splitlines()
        assert table.num_rows == len(lines) - 1, name
        assert table.column_names == lines[0].split(","), name
    assert sw.runs.column("status").to_pylist() == ["ok"] * 6
    assert sw.manifest["runs"] == 6
    pytest.importorskip("pandas")
    assert len(sw.to_pandas("points")) == 3
    with pytest.raises(ValueError, match="flows"):
        sw.table("flows")


def test_read_refuses_a_changed_sweep_file(cli_grid, tmp_path):
    for name in ["runs.csv", "failures.csv", "points_summary.csv"]:
        d = copy_tree(cli_grid, tmp_path / name)
        with open(d / name, "a", encoding="utf-8") as f:
            f.write("0\n")
        with pytest.raises(migflow.ResultsError, match=name):
            migflow.read(d)


def test_a_table_listed_as_parquet_is_read_from_parquet(cli_grid, cli_run, tmp_path):
    from pyarrow import parquet

    for src, cls, name in [(cli_grid, migflow.SweepResults, "runs"), (cli_run, migflow.Results, "trajectories")]:
        d = copy_tree(src, tmp_path / name)
        table = cls(d).table(name)
        parquet.write_table(table, d / f"{name}.parquet")
        (d / f"{name}.csv").unlink()
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            if entry["name"] == f"{name}.csv":
                entry["name"] = f"{name}.parquet"
        (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        again = cls(d)
        assert f"{name}.parquet" in again.files
        assert again.table(name).equals(table)


def test_progress_is_a_line_without_tqdm_and_nothing_when_off(sweep_files, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    migflow.sweep(sweep_files / "grid.toml", tmp_path / "a")
    err = capsys.readouterr().err
    assert "\r" in err and "6/6 runs" in err
    migflow.sweep(sweep_files / "grid.toml", tmp_path / "b", progress=False)
    assert capsys.readouterr().err == ""


def test_progress_uses_tqdm_when_installed(sweep_files, tmp_path, monkeypatch):
    bars = []

    class FakeBar:
        def __init__(self, total, initial, **kw):
            self.total, self.n, self.closed = total, initial, False
            bars.append(self)

        def update(self, n):
            self.n += n

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeBar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    migflow.sweep(sweep_files / "grid.toml", tmp_path / "a")
    assert len(bars) == 1
    assert (bars[0].total, bars[0].n, bars[0].closed) == (6, 6, True)


def test_a_bad_sweep_raises_input_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = GRID_SWEEP.replace('base = "tiny.toml"', 'base = "default"').replace(
        "workshop_jobs_share", "workshop_job_share"
    )
    with pytest.raises(migflow.Error, match="workshop_job_share"):
        migflow.sweep(bad, tmp_path / "out", progress=False)
    with pytest.raises(migflow.InputError, match="threads=0"):
        migflow.sweep(bad, tmp_path / "out", threads=0, progress=False)
    with pytest.raises(TypeError, match="design.kind"):
        migflow.sweep({"design": {"kind": object()}}, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_sweep_over_a_sweep_needs_resume(sweep_files, cli_grid, tmp_path):
    d = copy_tree(cli_grid, tmp_path / "again")
    with pytest.raises(migflow.InputError, match="resume"):
        migflow.sweep(sweep_files / "grid.toml", d, progress=False)
    done = migflow.sweep(sweep_files / "grid.toml", d, resume=True, progress=False)
    same_files(done.dir, cli_grid, listed(cli_grid))
    shutil.rmtree(d)
