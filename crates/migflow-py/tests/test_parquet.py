"""Parquet from Python: the CLI's values and bytes, a second write's bytes,
typed columns with nulls, the manifest's facts as metadata, sweeps, and
`Results.save` in either format."""

import pytest

import migflow
from conftest import run_cli
from test_analyses import median_outcome
from test_run import RUN_TABLES, csv_rows, same_value

pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def cli_parquet(cli, scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-parquet") / "results"
    run_cli(cli, "run", scenario_file, "--seed", "7", "-r", "2", "--format", "parquet", "-o", out, "-q")
    return out


def test_a_parquet_run_is_byte_identical_to_the_cli_and_to_a_second_write(scenario_file, cli_parquet, tmp_path):
    s = migflow.Scenario.from_toml(str(scenario_file))
    first = migflow.run(s, replicates=2, seed=7, out=tmp_path / "a", format="parquet")
    second = migflow.run(s, replicates=2, seed=7, out=tmp_path / "b", format="parquet", threads=1)
    assert sorted(first.files) == sorted(f"{t}.parquet" for t in RUN_TABLES)
    assert first.format == "parquet"
    for t in RUN_TABLES:
        data = (first.dir / f"{t}.parquet").read_bytes()
        assert data == (second.dir / f"{t}.parquet").read_bytes(), f"{t}: a second write differs"
        assert data == (cli_parquet / f"{t}.parquet").read_bytes(), f"{t}: differs from the CLI's"


def test_parquet_tables_hold_the_cli_csv_values(scenario_file, cli_run, tmp_path):
    r = migflow.run(migflow.Scenario.from_toml(scenario_file), replicates=2, seed=7, format="parquet")
    for t in RUN_TABLES:
        table = getattr(r, t)
        rows = csv_rows(cli_run / f"{t}.csv")
        assert table.num_rows == len(rows), t
        assert table.column_names == list(rows[0].keys()), t
        columns = table.to_pydict()
        for i, row in enumerate(rows):
            for name, text in row.items():
                assert same_value(text, columns[name][i]), (t, i, name, text, columns[name][i])


def test_parquet_columns_are_typed_and_carry_the_manifest_facts(cli_parquet):
    import pyarrow as pa

    r = migflow.read(cli_parquet)
    f = pq.ParquetFile(cli_parquet / "trajectories.parquet")
    schema = f.schema_arrow
    assert schema.field("replicate").type == pa.int64()
    assert schema.field("year").type == pa.int64()
    assert schema.field("households").type == pa.int64()
    assert schema.field("livelihood").type == pa.string()
    assert schema.field("poor_share").type == pa.float64()
    meta = {k.decode(): v.decode() for k, v in f.metadata.metadata.items() if k != b"ARROW:schema"}
    m = r.manifest
    assert meta["seed"] == str(m["seed"]) and meta["replicates"] == str(m["replicates"])
    assert meta["scenario_sha256"] == m["scenario_sha256"]
    assert meta["migflow_version"] == m["migflow_version"] == migflow.__version__
    assert meta["git_commit"] == (m["git_commit"] or "")
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"


def test_empty_csv_cells_are_parquet_nulls(cli_run, cli_parquet):
    empty = nulls = 0
    for t in RUN_TABLES:
        rows = csv_rows(cli_run / f"{t}.csv")
        table = pq.read_table(cli_parquet / f"{t}.parquet")
        for name in table.column_names:
            cells = sum(1 for row in rows if row[name] == "")
            assert table.column(name).null_count == cells, (t, name)
            empty += cells
            nulls += table.column(name).null_count
    assert empty > 0, "no empty cell in the run: the check checks nothing"


def test_save_writes_the_other_format_as_a_run_in_it_would(scenario_file, cli_run, cli_parquet, tmp_path):
    csv_run = migflow.read(cli_run)
    as_parquet = csv_run.save(tmp_path / "as-parquet", format="parquet")
    assert as_parquet.format == "parquet"
    for t in RUN_TABLES:
        assert (as_parquet.dir / f"{t}.parquet").read_bytes() == (cli_parquet / f"{t}.parquet").read_bytes(), t
    as_csv = migflow.read(cli_parquet).save(tmp_path / "as-csv", format="csv")
    for t in RUN_TABLES:
        assert (as_csv.dir / f"{t}.csv").read_bytes() == (cli_run / f"{t}.csv").read_bytes(), t
    assert migflow.read(as_csv.dir).manifest["files"] == as_csv.manifest["files"]
    with pytest.raises(migflow.InputError, match="format='xlsx'"):
        csv_run.save(tmp_path / "bad", format="xlsx")


def test_a_parquet_sweep_is_the_cli_s(cli, sweep_files, tmp_path):
    out_cli = tmp_path / "cli"
    run_cli(cli, "sweep", sweep_files / "grid.toml", "--out", out_cli, "-q", "--format", "parquet")
    r = migflow.sweep(sweep_files / "grid.toml", out=tmp_path / "py", progress=False, format="parquet")
    names = ["runs", "trajectories", "failures", "points", "points_summary"]
    for n in names:
        assert (r.dir / f"{n}.parquet").read_bytes() == (out_cli / f"{n}.parquet").read_bytes(), n
    assert r.runs.num_rows == 6
    assert r.runs.schema.field("run_id").type == __import__("pyarrow").int64()


def test_a_bad_format_is_refused_naming_it(tmp_path):
    from conftest import small_scenario

    with pytest.raises(migflow.InputError, match="format=\"xlsx\": expected `csv` or `parquet`"):
        migflow.run(small_scenario(), out=tmp_path / "x", format="xlsx")


def test_the_analyses_of_a_parquet_sweep_are_those_of_its_csv_twin(cli, sweep_files, cli_policies, tmp_path):
    parquet = tmp_path / "parquet-sweep"
    run_cli(cli, "sweep", sweep_files / "policies.toml", "--out", parquet, "-q", "--format", "parquet")
    where = f"> {median_outcome(cli_policies)}"
    for name, analyse in [
        ("sensitivity", lambda d, o: migflow.sensitivity(d, out=o, metrics=["all_mean_poor_share"], bootstrap=20)),
        ("robust", lambda d, o: migflow.robust(d, "all_mean_poor_share", threshold=0.05, out=o)),
        ("discover", lambda d, o: migflow.discover(d, "all_mean_poor_share", where, out=o)),
    ]:
        a = analyse(cli_policies, tmp_path / f"{name}-csv")
        b = analyse(parquet, tmp_path / f"{name}-parquet")
        tables = [f for f in a.dir.iterdir() if f.suffix == ".csv"]
        assert tables, name
        for f in tables:
            assert f.read_bytes() == (b.dir / f.name).read_bytes(), (name, f.name)
