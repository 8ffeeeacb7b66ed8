"""migflow from Python.

Run the migflow agent-based simulation of households after
poverty-alleviation relocation and read its results as Arrow tables::

    import migflow

    s = migflow.Scenario.default()
    s.set("levers.workshops.workshop_jobs_share", 0.16)
    r = migflow.run(s, replicates=8, seed=7)
    r.trajectories            # a pyarrow.Table of trajectories.csv
    r.to_pandas("summary")    # a pandas DataFrame of summary.csv

A run writes the same files, byte for byte, as ``migflow run`` on the command
line (the Rust library does the work, with the GIL released), and every
number repeats from the run's ``manifest.json``. Errors are
``migflow.Error`` and its subclasses ``ScenarioError``, ``InputError`` and
``ResultsError``, carrying the library's message.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _migflow
from ._migflow import Error, InputError, ResultsError, Scenario, ScenarioError

__version__: str = _migflow.__version__

__all__ = [
    "Error",
    "InputError",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "read",
    "run",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The tables a run may write, by attribute name (each ``NAME.csv``).
TABLES = (
    "trajectories",
    "flows",
    "summary",
    "cohorts",
    "costs",
    "sites",
    "site_costs",
    "households",
)


class Results:
    """The results of one migflow run: a directory as ``migflow run`` writes it.

    ``dir`` is the directory, ``manifest`` its ``manifest.json`` as a dict
    (seed, replicates, the resolved scenario, the files and their SHA-256).
    The tables ``trajectories``, ``flows``, ``summary`` (two replicates or
    more), ``cohorts``, ``costs``, ``sites`` and ``site_costs`` (with
    ``by_site=True``) and ``households`` (with ``households_out=True``) are
    ``pyarrow.Table`` objects read from the CSV files when first used; a
    table the run did not write is ``None``. ``to_pandas(name)`` and
    ``to_polars(name)`` convert one; ``save(dir)`` copies the files.

    Results of ``migflow.run(..., out=None)`` live in a temporary directory
    that is removed with this object: ``save`` them to keep them.
    """

    def __init__(self, dir: PathLike, _tmp: Optional[tempfile.TemporaryDirectory] = None) -> None:
        self._dir = Path(dir)
        self._tmp = _tmp
        self._tables: Dict[str, Any] = {}
        with open(self._dir / "manifest.json", encoding="utf-8") as f:
            self._manifest: Dict[str, Any] = json.load(f)

    @property
    def dir(self) -> Path:
        """The results directory."""
        return self._dir

    @property
    def manifest(self) -> Dict[str, Any]:
        """``manifest.json`` as a dict: everything needed to repeat the run."""
        return self._manifest

    @property
    def files(self) -> List[str]:
        """The names of the files the run wrote besides the manifest."""
        return [f["name"] for f in self._manifest.get("files", [])]

    def table(self, name: str) -> Any:
        """The table ``name`` (``"trajectories"``, ``"flows"``, ...) as a
        ``pyarrow.Table``, or ``None`` when the run did not write it."""
        if name not in TABLES:
            raise ValueError(f"{name!r}: not a table of a run; expected one of {', '.join(TABLES)}")
        if name not in self._tables:
            file = f"{name}.csv"
            if file in self.files:
                from pyarrow import csv

                self._tables[name] = csv.read_csv(self._dir / file)
            else:
                self._tables[name] = None
        return self._tables[name]

    @property
    def trajectories(self) -> Any:
        """``trajectories.csv``: per replicate, year and livelihood, the metrics."""
        return self.table("trajectories")

    @property
    def flows(self) -> Any:
        """``flows.csv``: per replicate and year, the households moving between livelihoods."""
        return self.table("flows")

    @property
    def summary(self) -> Any:
        """``summary.csv``: means and intervals over replicates (None with one replicate)."""
        return self.table("summary")

    @property
    def cohorts(self) -> Any:
        """``cohorts.csv``: the trajectories of the cohorts of the cohort years."""
        return self.table("cohorts")

    @property
    def costs(self) -> Any:
        """``costs.csv``: the costs of the levers per replicate and year."""
        return self.table("costs")

    @property
    def sites(self) -> Any:
        """``sites.csv``: the metrics per site (None unless run with ``by_site=True``)."""
        return self.table("sites")

    @property
    def site_costs(self) -> Any:
        """``site_costs.csv``: the lever costs per site (None unless run with ``by_site=True``)."""
        return self.table("site_costs")

    @property
    def households(self) -> Any:
        """``households.csv``: the household × year panel (None unless run with ``households_out=True``)."""
        return self.table("households")

    def to_pandas(self, name: str) -> Any:
        """The table ``name`` as a ``pandas.DataFrame`` (needs pandas:
        ``pip install 'migflow[pandas]'``)."""
        try:
            import pandas  # noqa: F401
        except ImportError as e:
            raise ImportError(
                "Results.to_pandas needs pandas, which is not installed: pip install 'migflow[pandas]' (or pandas)"
            ) from e
        t = self._present(name)
        return t.to_pandas()

    def to_polars(self, name: str) -> Any:
        """The table ``name`` as a ``polars.DataFrame`` (needs polars:
        ``pip install 'migflow[polars]'``)."""
        try:
            import polars
        except ImportError as e:
            raise ImportError(
                "Results.to_polars needs polars, which is not installed: pip install 'migflow[polars]' (or polars)"
            ) from e
        return polars.from_arrow(self._present(name))

    def _present(self, name: str) -> Any:
        t = self.table(name)
        if t is None:
            raise ValueError(f"{name!r}: this run did not write {name}.csv")
        return t

    def save(self, dir: PathLike) -> "Results":
        """Copy the run's files (the manifest and every file it lists) into
        ``dir`` (created if missing) and return the ``Results`` there.
        Refuses a directory that already holds a ``manifest.json``."""
        target = Path(dir)
        if (target / "manifest.json").exists():
            raise InputError(f"{target}: already holds a manifest.json: choose a new or empty directory")
        target.mkdir(parents=True, exist_ok=True)
        for name in self.files + ["manifest.json"]:
            shutil.copy2(self._dir / name, target / name)
        return Results(target)

    def __repr__(self) -> str:
        m = self._manifest
        return (
            f"Results(dir={str(self._dir)!r}, households={m.get('households')}, "
            f"years={m.get('years')}, replicates={m.get('replicates')}, seed={m.get('seed')})"
        )


def run(
    scenario: Scenario,
    replicates: int = 1,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    households_out: bool = False,
    by_site: bool = False,
    out: Optional[PathLike] = None,
    cohort_years: Optional[Sequence[int]] = None,
) -> Results:
    """Run ``scenario`` and return its ``Results``.

    As ``migflow run`` does, with the same files byte for byte:
    ``replicates`` runs (in parallel), from master ``seed`` (default: the
    scenario's ``run.seed``), on ``threads`` worker threads (default: every
    core; results do not depend on it). ``households_out`` also writes the
    household × year panel, ``by_site`` the metrics and costs per site;
    ``cohort_years`` chooses the cohorts of ``cohorts.csv``. The files go to
    ``out`` (created if missing; a directory holding files that are not a
    migflow run's is refused) or, when None, to a temporary directory
    removed with the ``Results``. The GIL is released while it runs.

    Raises ``InputError`` for an option out of range or an output directory
    that may not be written, ``ScenarioError`` for a scenario that fails.
    """
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="migflow-")
        out = Path(tmp.name) / "results"
    _migflow.run(
        scenario,
        os.fspath(out),
        replicates=replicates,
        seed=seed,
        threads=threads,
        households_out=households_out,
        by_site=by_site,
        cohort_years=None if cohort_years is None else list(cohort_years),
    )
    return Results(out, _tmp=tmp)


def read(dir: PathLike) -> Results:
    """The ``Results`` of an existing run directory (written by
    ``migflow run`` or ``migflow.run``), after checking it as the library
    does: the manifest, every file it lists and their SHA-256. Raises
    ``ResultsError`` naming what is wrong."""
    _migflow.verify(os.fspath(dir))
    path = Path(dir)
    try:
        with open(path / "manifest.json", encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path}: {e}") from e
    if "scenario_toml" not in manifest:
        raise ResultsError(f"{path}: the results of a sweep, not of a run: migflow.read reads a run's directory")
    return Results(path)
