"""`migflow.run` gives the CLI's numbers, and `migflow.read` reads them back."""

import csv
import math

import pytest

import migflow
from conftest import small_scenario

RUN_TABLES = ["trajectories", "flows", "summary", "cohorts", "costs"]


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def same_value(text, value):
    """A CSV cell and the Arrow value read from it are the same number or text."""
    if text == "":
        return value is None or (isinstance(value, float) and math.isnan(value))
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, int):
        return int(text) == value
    if isinstance(value, float):
        f = float(text)
        return f == value or (math.isnan(f) and math.isnan(value))
    return text == str(value)


def test_run_files_are_byte_identical_to_the_cli(scenario_file, cli_run, tmp_path):
    s = migflow.Scenario.from_toml(str(scenario_file))
    r = migflow.run(s, replicates=2, seed=7, out=tmp_path / "py")
    assert sorted(r.files) == sorted(f"{t}.csv" for t in RUN_TABLES)
    for t in RUN_TABLES:
        assert (r.dir / f"{t}.csv").read_bytes() == (cli_run / f"{t}.csv").read_bytes(), t
    assert r.manifest["seed"] == 7
    assert r.manifest["replicates"] == 2
    assert r.manifest["households"] == 500


def test_arrow_tables_hold_the_cli_csv_values(scenario_file, cli_run):
    r = migflow.run(migflow.Scenario.from_toml(scenario_file), replicates=2, seed=7)
    for t in RUN_TABLES:
        table = getattr(r, t)
        rows = csv_rows(cli_run / f"{t}.csv")
        assert table.num_rows == len(rows), t
        assert table.column_names == list(rows[0].keys()), t
        columns = table.to_pydict()
        for i, row in enumerate(rows):
            for name, text in row.items():
                assert same_value(text, columns[name][i]), (t, i, name, text, columns[name][i])


def test_a_temporary_run_goes_with_its_results_and_saves(tmp_path):
    r = migflow.run(small_scenario(), seed=7)
    assert r.summary is None  # one replicate
    saved = r.save(tmp_path / "kept")
    assert (saved.dir / "trajectories.csv").read_bytes() == (r.dir / "trajectories.csv").read_bytes()
    assert migflow.read(saved.dir).trajectories.equals(r.trajectories)
    d = r.dir
    del r
    assert not d.exists()


def test_read_gives_the_same_tables(cli_run):
    r = migflow.read(cli_run)
    again = migflow.read(str(cli_run))
    for t in RUN_TABLES:
        assert getattr(r, t).equals(getattr(again, t))
    assert r.manifest["seed"] == 7


def test_read_refuses_a_directory_that_is_not_results(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(migflow.ResultsError, match="manifest.json"):
        migflow.read(tmp_path)
    with pytest.raises(migflow.Error):
        migflow.read(tmp_path / "missing")


def test_read_refuses_a_changed_file(tmp_path):
    r = migflow.run(small_scenario(), seed=7, out=tmp_path / "r")
    with open(r.dir / "flows.csv", "a", encoding="utf-8") as f:
        f.write("0\n")
    with pytest.raises(migflow.ResultsError, match="flows.csv"):
        migflow.read(r.dir)


def test_one_and_two_threads_write_the_same_files(tmp_path):
    s = small_scenario()
    one = migflow.run(s, replicates=3, seed=11, threads=1, by_site=True, households_out=True, out=tmp_path / "1")
    two = migflow.run(s, replicates=3, seed=11, threads=2, by_site=True, households_out=True, out=tmp_path / "2")
    assert one.files == two.files
    assert "households.csv" in one.files and "sites.csv" in one.files
    for name in one.files:
        assert (one.dir / name).read_bytes() == (two.dir / name).read_bytes(), name
    assert one.households.num_rows > 0 and one.sites.num_rows > 0


def test_run_options_out_of_range_raise_input_error():
    s = small_scenario()
    with pytest.raises(migflow.InputError, match="replicates=0"):
        migflow.run(s, replicates=0)
    with pytest.raises(migflow.InputError, match="threads=0"):
        migflow.run(s, threads=0)


def test_pandas_and_polars_helpers(tmp_path):
    r = migflow.run(small_scenario(), seed=7, out=tmp_path / "r")
    pytest.importorskip("pandas")
    df = r.to_pandas("trajectories")
    assert len(df) == r.trajectories.num_rows
    with pytest.raises(ValueError, match="summary"):
        r.to_pandas("summary")
