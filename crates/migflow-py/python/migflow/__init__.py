"""migflow from Python.

Run the migflow agent-based simulation of households after
poverty-alleviation relocation, run sweeps and analyses, and read the
results as Arrow tables::

    import migflow

    s = migflow.Scenario.default()
    s.set("levers.workshops.workshop_jobs_share", 0.16)
    r = migflow.run(s, replicates=8, seed=7)
    r.trajectories            # a pyarrow.Table of trajectories.csv
    r.to_pandas("summary")    # a pandas DataFrame of summary.csv

    sw = migflow.sweep("scenarios/sweeps/minimal.toml", out="results/minimal")
    sw.runs                   # runs.csv: one row per run, factors and outcomes
    migflow.sensitivity(sw.dir)["sensitivity"]

Every function calls the same Rust library as the ``migflow`` command line
(with the GIL released), so the files are the same bytes as the CLI's, and
``migflow.read`` reads what the CLI wrote (and the CLI what Python wrote).
Ctrl-C stops a run or a sweep with ``KeyboardInterrupt``, leaving no partial
file (a sweep keeps its finished runs: ``resume=True`` finishes it).
Errors are ``migflow.Error`` and its subclasses ``ScenarioError``,
``InputError`` and ``ResultsError``, carrying the library's message.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from . import _migflow
from ._migflow import Error, InputError, ResultsError, Scenario, ScenarioError

__version__: str = _migflow.__version__

__all__ = [
    "Analysis",
    "Calibration",
    "Error",
    "InputError",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "SweepResults",
    "calibrate",
    "compare",
    "default_scenario_toml",
    "discover",
    "read",
    "robust",
    "run",
    "sensitivity",
    "sweep",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The tables a run may write, by attribute name (each ``NAME.csv``, or
#: ``NAME.parquet`` when the manifest lists that).
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

#: The tables a sweep writes, by attribute name.
SWEEP_TABLES = ("runs", "trajectories", "failures", "points", "points_summary")

#: The default number of bootstrap resamples of ``sensitivity`` (the CLI's
#: ``--bootstrap`` default).
DEFAULT_BOOTSTRAP = 500


def default_scenario_toml() -> str:
    """The built-in default scenario (T County) as TOML text, every key
    commented (what ``migflow scenario --print-default`` prints)."""
    return _migflow.default_scenario_toml()


def _read_table(path: Path) -> Any:
    """A table file as a ``pyarrow.Table``: Parquet by its name, else CSV."""
    if path.suffix == ".parquet":
        from pyarrow import parquet

        return parquet.read_table(path)
    from pyarrow import csv

    return csv.read_csv(path)


class _Tables:
    """A directory of files listed by its ``manifest.json``, whose tables
    are read (once, when first used) by name: ``NAME.parquet`` when the
    manifest lists it, else ``NAME.csv``."""

    #: What the directory holds, for messages.
    _what = "results"
    #: Whether a directory without a manifest.json is refused (an
    #: analysis such as `sensitivity` writes none).
    _needs_manifest = True

    def __init__(self, dir: PathLike, _tmp: Optional[tempfile.TemporaryDirectory] = None) -> None:
        self._dir = Path(dir)
        self._tmp = _tmp
        self._tables: Dict[str, Any] = {}
        path = self._dir / "manifest.json"
        self._manifest: Dict[str, Any] = {}
        if self._needs_manifest or path.exists():
            try:
                with open(path, encoding="utf-8") as f:
                    self._manifest = json.load(f)
            except (OSError, ValueError) as e:
                raise ResultsError(f"{path}: cannot read the manifest: {e}") from e

    @property
    def dir(self) -> Path:
        """The directory."""
        return self._dir

    @property
    def manifest(self) -> Dict[str, Any]:
        """``manifest.json`` as a dict: what was read, the options, and
        every file written with its SHA-256."""
        return self._manifest

    @property
    def files(self) -> List[str]:
        """The names of the files the manifest lists (besides itself); for
        a directory without a manifest, the files it holds, sorted."""
        if "files" in self._manifest:
            return [f["name"] for f in self._manifest["files"]]
        if self._needs_manifest or not self._dir.is_dir():
            return []
        return sorted(p.name for p in self._dir.iterdir() if p.is_file() and p.name != "manifest.json")

    @property
    def names(self) -> List[str]:
        """The names of the tables present (``NAME`` of each listed
        ``NAME.csv`` or ``NAME.parquet``), in the manifest's order."""
        out: List[str] = []
        for f in self.files:
            stem, dot, ext = f.rpartition(".")
            if dot and ext in ("csv", "parquet") and stem not in out:
                out.append(stem)
        return out

    def _known(self, name: str) -> None:
        """Refuse a name that is not a table of this kind of directory."""

    def _file_of(self, name: str) -> Optional[str]:
        files = self.files
        for file in (f"{name}.parquet", f"{name}.csv"):
            if file in files:
                return file
        return None

    def table(self, name: str) -> Any:
        """The table ``name`` as a ``pyarrow.Table``, or ``None`` when it
        was not written."""
        self._known(name)
        if name not in self._tables:
            file = self._file_of(name)
            self._tables[name] = None if file is None else _read_table(self._dir / file)
        return self._tables[name]

    def _present(self, name: str) -> Any:
        t = self.table(name)
        if t is None:
            raise ValueError(f"{name!r}: {self._dir} holds no {name}.csv")
        return t

    def to_pandas(self, name: str) -> Any:
        """The table ``name`` as a ``pandas.DataFrame`` (needs pandas:
        ``pip install 'migflow[pandas]'``)."""
        try:
            import pandas  # noqa: F401
        except ImportError as e:
            raise ImportError(
                "to_pandas needs pandas, which is not installed: pip install 'migflow[pandas]' (or pandas)"
            ) from e
        return self._present(name).to_pandas()

    def to_polars(self, name: str) -> Any:
        """The table ``name`` as a ``polars.DataFrame`` (needs polars:
        ``pip install 'migflow[polars]'``)."""
        try:
            import polars
        except ImportError as e:
            raise ImportError(
                "to_polars needs polars, which is not installed: pip install 'migflow[polars]' (or polars)"
            ) from e
        return polars.from_arrow(self._present(name))


class Results(_Tables):
    """The results of one migflow run: a directory as ``migflow run`` writes it.

    ``dir`` is the directory, ``manifest`` its ``manifest.json`` as a dict
    (seed, replicates, the resolved scenario, the files and their SHA-256).
    The tables ``trajectories``, ``flows``, ``summary`` (two replicates or
    more), ``cohorts``, ``costs``, ``sites`` and ``site_costs`` (with
    ``by_site=True``) and ``households`` (with ``households_out=True``) are
    ``pyarrow.Table`` objects read when first used; a table the run did not
    write is ``None``. ``to_pandas(name)`` and ``to_polars(name)`` convert
    one; ``save(dir)`` copies the files.

    Results of ``migflow.run(..., out=None)`` live in a temporary directory
    that is removed with this object: ``save`` them to keep them.
    """

    _what = "run"

    def _known(self, name: str) -> None:
        if name not in TABLES:
            raise ValueError(f"{name!r}: not a table of a run; expected one of {', '.join(TABLES)}")

    def _present(self, name: str) -> Any:
        t = self.table(name)
        if t is None:
            raise ValueError(f"{name!r}: this run did not write {name}.csv")
        return t

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

    @property
    def format(self) -> str:
        """The format of the run's tables: ``"csv"`` or ``"parquet"``."""
        return "parquet" if any(f.endswith(".parquet") for f in self.files) else "csv"

    def save(self, dir: PathLike, format: Optional[str] = None) -> "Results":
        """Write the run into ``dir`` (created if missing) and return the
        ``Results`` there. With ``format`` None or the run's own, the files
        are copied; with the other (``"csv"`` or ``"parquet"``), every table
        is written again in it: the files ``migflow run --format FORMAT``
        writes for the same run, with the manifest's list of files updated.
        Refuses a directory that already holds a ``manifest.json``."""
        target = Path(dir)
        if (target / "manifest.json").exists():
            raise InputError(f"{target}: already holds a manifest.json: choose a new or empty directory")
        if format is not None and format not in ("csv", "parquet"):
            raise InputError(f"format={format!r}: expected \"csv\" or \"parquet\"")
        if format is None or format == self.format:
            target.mkdir(parents=True, exist_ok=True)
            for name in self.files + ["manifest.json"]:
                shutil.copy2(self._dir / name, target / name)
        else:
            _migflow.save_as(os.fspath(self._dir), os.fspath(target), format)
        return Results(target)

    def __repr__(self) -> str:
        m = self._manifest
        return (
            f"Results(dir={str(self._dir)!r}, households={m.get('households')}, "
            f"years={m.get('years')}, replicates={m.get('replicates')}, seed={m.get('seed')})"
        )


class SweepResults(_Tables):
    """The results of a sweep: a directory as ``migflow sweep`` (or
    ``migflow merge``) writes it.

    ``dir`` is the directory and ``manifest`` its ``manifest.json`` (the
    resolved sweep and base scenario, the design, seed, replicates, factors,
    every run's status, the files and their SHA-256). The tables, read when
    first used as ``pyarrow.Table`` objects:

    - ``runs``: one row per run: its point, replicate, seed, status, the
      factors' levels and the whole-run outcomes (``all_mean_poor_share``...);
    - ``trajectories``: per run, year and livelihood, the metrics;
    - ``failures``: the runs that failed and their errors;
    - ``points``: the design points and their factors' levels;
    - ``points_summary``: per point, year and livelihood, the metrics'
      means and intervals over the replicates.
    """

    _what = "sweep"

    def _known(self, name: str) -> None:
        if name not in SWEEP_TABLES:
            raise ValueError(f"{name!r}: not a table of a sweep; expected one of {', '.join(SWEEP_TABLES)}")

    @property
    def runs(self) -> Any:
        """``runs.csv``: one row per run, with its factors and outcomes."""
        return self.table("runs")

    @property
    def trajectories(self) -> Any:
        """``trajectories.csv``: per run, year and livelihood, the metrics."""
        return self.table("trajectories")

    @property
    def failures(self) -> Any:
        """``failures.csv``: the runs that failed, with their errors (no rows when none did)."""
        return self.table("failures")

    @property
    def points(self) -> Any:
        """``points.csv``: the design points and their factors' levels."""
        return self.table("points")

    @property
    def points_summary(self) -> Any:
        """``points_summary.csv``: per point, year and livelihood, means and intervals over replicates."""
        return self.table("points_summary")

    @property
    def completed(self) -> int:
        """The runs completed with results."""
        return int(self._manifest.get("completed", 0))

    @property
    def failed(self) -> int:
        """The runs that failed (see ``failures``)."""
        return int(self._manifest.get("failed", 0))

    def __repr__(self) -> str:
        m = self._manifest
        return (
            f"SweepResults(dir={str(self._dir)!r}, design={m.get('design')!r}, points={m.get('points')}, "
            f"runs={m.get('runs')}, completed={m.get('completed')}, failed={m.get('failed')})"
        )


class Analysis(_Tables):
    """What an analysis wrote (``sensitivity``, ``discover``, ``robust``,
    ``compare``, ``calibrate``): its directory, its ``manifest.json``, and
    its tables by file name, e.g. ``a["sensitivity"]`` or
    ``a.table("effects")`` for ``sensitivity.csv`` or ``effects.csv``
    (``names`` lists them). ``manifest`` is ``{}`` for an analysis that
    writes none (``sensitivity``); its files are then those in ``dir``. ``summary`` is the text the CLI prints and
    ``notes`` its notes (what was left out, charts not drawn)."""

    _what = "analysis"
    _needs_manifest = False

    def __init__(self, dir: PathLike, summary: str = "", notes: Sequence[str] = ()) -> None:
        super().__init__(dir)
        self._summary = summary
        self._notes = list(notes)

    def _known(self, name: str) -> None:
        if name not in self.names:
            raise KeyError(f"{name!r}: {self._dir} holds no such table; it holds {', '.join(self.names) or 'none'}")

    def __getitem__(self, name: str) -> Any:
        return self.table(name)

    @property
    def summary(self) -> str:
        """The summary the CLI prints for this analysis ("" when none)."""
        return self._summary

    @property
    def notes(self) -> List[str]:
        """The notes the CLI prints (``note: ...``)."""
        return list(self._notes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dir={str(self._dir)!r}, tables={self.names})"


class Calibration(Analysis):
    """What ``calibrate`` wrote: ``samples``, ``posterior`` and ``fit``
    tables (``a["fit"]``...), ``best_fit`` (the best-fitting scenario) and
    ``warnings`` (the targets the model cannot reach, and so on)."""

    def __init__(self, dir: PathLike, warnings: Sequence[str] = ()) -> None:
        super().__init__(dir)
        self._warnings = list(warnings)

    @property
    def best_fit(self) -> Scenario:
        """``best_fit.toml``: the scenario at the posterior's best sample."""
        return Scenario.from_toml(self._dir / "best_fit.toml")

    @property
    def warnings(self) -> List[str]:
        """The warnings the CLI prints (``WARNING: ...``)."""
        return list(self._warnings)


class _Progress:
    """A progress display of `done` of `total` things, on stderr: a tqdm
    bar when tqdm is installed, else one line rewritten in place."""

    def __init__(self, unit: str, enabled: bool) -> None:
        self._unit = unit
        self._enabled = enabled
        self._bar: Any = None
        self._plain = False
        self._last = 0

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None and not self._plain:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self._plain = True
            else:
                self._bar = tqdm(total=total, initial=done, unit=self._unit, dynamic_ncols=True)
                self._last = done
                return
        if self._bar is not None:
            if self._bar.total != total:
                self._bar.total = total
            self._bar.update(done - self._last)
            self._last = done
        else:
            sys.stderr.write(f"\r{done}/{total} {self._unit}")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._plain:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run(
    scenario: Scenario,
    replicates: int = 1,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    households_out: bool = False,
    by_site: bool = False,
    out: Optional[PathLike] = None,
    cohort_years: Optional[Sequence[int]] = None,
    format: str = "csv",
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
    removed with the ``Results``. ``format="parquet"`` writes the tables as
    Parquet (typed, zstd-compressed, the manifest's key facts in each
    file's metadata) instead of CSV. The GIL is released while it runs.

    Ctrl-C stops it with ``KeyboardInterrupt``; nothing is written then (an
    earlier run in ``out`` stays as it was). Raises ``InputError`` for an
    option out of range or an output directory that may not be written,
    ``ScenarioError`` for a scenario that fails.
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
        format=format,
    )
    return Results(out, _tmp=tmp)


SweepSpec = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def sweep(
    sweep: SweepSpec,
    out: PathLike,
    resume: bool = False,
    threads: Optional[int] = None,
    progress: bool = True,
    format: str = "csv",
) -> SweepResults:
    """Run a parameter sweep into ``out`` and return its ``SweepResults``.

    ``sweep`` is a sweep TOML file's path, its TOML text, or a dict of the
    same tables (``{"base": "default", "seed": 5, "replicates": 2,
    "design": {"kind": "grid"}, "factors": [{"path": ..., "levels": [...]}]}``);
    a relative ``base`` or scenario path in text or a dict resolves against
    the working directory (in a file, against the file's directory).

    As ``migflow sweep SWEEP --out OUT`` does, with the same files byte for
    byte, each run streamed to disk as it finishes. ``resume=True``
    finishes an interrupted sweep in ``out`` (or starts it). ``threads``
    defaults to every core (results do not depend on it). ``progress``
    shows the runs done on stderr (a tqdm bar when tqdm is installed).
    ``format="parquet"`` writes the final tables as Parquet (the stream of
    a running sweep is CSV in either).

    Ctrl-C stops it with ``KeyboardInterrupt``: the finished runs are kept,
    and ``resume=True`` finishes the sweep. Runs that fail are listed in
    ``failures`` (with a ``RuntimeWarning``); bad input raises
    ``InputError`` (or ``ScenarioError``).
    """
    if isinstance(sweep, os.PathLike):
        sweep = os.fspath(sweep)
    shown = _Progress("runs", progress)
    try:
        completed, failed, _executed, timing_error = _migflow.sweep(
            sweep, os.fspath(out), resume=resume, threads=threads, progress=shown, format=format
        )
    finally:
        shown.close()
    if timing_error is not None:
        warnings.warn(f"the results are complete, but timing.json was not written: {timing_error}", RuntimeWarning,
                      stacklevel=2)
    if failed:
        warnings.warn(
            f"{failed} run(s) failed; their errors are in {Path(out) / ('failures.' + format)}", RuntimeWarning,
            stacklevel=2
        )
    return SweepResults(out)


def read(dir: PathLike) -> Union[Results, SweepResults]:
    """The results in ``dir``, written by ``migflow run`` / ``migflow.run``
    (a ``Results``) or ``migflow sweep`` / ``migflow merge`` /
    ``migflow.sweep`` (a ``SweepResults``), after checking them as the
    library does: the manifest, every file it lists and their SHA-256.
    Raises ``ResultsError`` naming what is wrong."""
    kind = _migflow.verify(os.fspath(dir))
    if kind == "sweep":
        return SweepResults(dir)
    return Results(dir)


def sensitivity(
    sweep_dir: PathLike,
    out: Optional[PathLike] = None,
    metrics: Sequence[str] = (),
    year: Optional[int] = None,
    bootstrap: int = DEFAULT_BOOTSTRAP,
) -> Analysis:
    """Global sensitivity of the finished sweep in ``sweep_dir``, as
    ``migflow sensitivity`` does: Sobol indices of a ``sobol`` sweep,
    Morris measures of a ``morris`` one, PRCC and SRRC of an ``lhs``,
    ``table`` or ``grid`` one, with 95% CIs from ``bootstrap`` resamples.

    ``metrics`` are ``runs.csv`` outcome columns (default: every
    livelihood's ``mean_poor_share`` and ``cum_returned``); with ``year``
    they are taken up to that year from ``trajectories.csv``. Writes
    ``sensitivity.csv``, charts and ``manifest.json`` into ``out``
    (default ``SWEEP_DIR/sensitivity``) and returns them as an
    ``Analysis`` (``a["sensitivity"]``)."""
    done, summary, notes = _migflow.sensitivity(
        os.fspath(sweep_dir),
        out=None if out is None else os.fspath(out),
        metrics=list(metrics),
        year=year,
        bootstrap=bootstrap,
    )
    return Analysis(done, summary, notes)


def discover(
    sweep_dir: PathLike,
    outcome: str,
    where: str,
    policy: Optional[str] = None,
    method: str = "prim",
    alpha: float = 0.05,
    box: Optional[int] = None,
    threshold: float = 0.8,
    min_mass: float = 0.05,
    max_depth: int = 3,
    out: Optional[PathLike] = None,
) -> Analysis:
    """Scenario discovery on the finished sweep in ``sweep_dir``, as
    ``migflow discover`` does: which combinations of its factors lead to
    the points whose mean ``outcome`` (a ``runs.csv`` column) meets
    ``where`` (e.g. ``"> 0.05"``), by PRIM (``method="prim"``: peeling
    fraction ``alpha``, the box ``box`` of the trajectory or the last with
    density ≥ ``threshold``, boxes of mass ≥ ``min_mass``) or CART
    (``method="cart"``, depth ≤ ``max_depth``); ``policy`` keeps one
    policy's points. Writes ``cases.csv``, ``prim_trajectory.csv`` and
    ``box_limits.csv`` (or ``cart_leaves.csv``), charts and
    ``manifest.json`` into ``out`` (default ``SWEEP_DIR/discover``)."""
    done, summary, notes = _migflow.discover(
        os.fspath(sweep_dir),
        outcome,
        where,
        policy=policy,
        method=method,
        alpha=alpha,
        box_index=box,
        threshold=threshold,
        min_mass=min_mass,
        max_depth=max_depth,
        out=None if out is None else os.fspath(out),
    )
    return Analysis(done, summary, notes)


def robust(
    sweep_dir: PathLike,
    outcome: str,
    threshold: Optional[float] = None,
    maximise: bool = False,
    out: Optional[PathLike] = None,
) -> Analysis:
    """Robustness of the policies of the finished sweep in ``sweep_dir``
    (a sweep with ``[[policies]]``) across its uncertainties, as
    ``migflow robust`` does: per policy the percentiles of ``outcome``, its
    regret and (with ``threshold``) the share of points that satisfy it.
    Lower is better unless ``maximise``. Writes ``robust.csv``,
    ``regret.csv``, charts and ``manifest.json`` into ``out`` (default
    ``SWEEP_DIR/robust``)."""
    done, summary, notes = _migflow.robust(
        os.fspath(sweep_dir),
        outcome,
        threshold=threshold,
        maximise=maximise,
        out=None if out is None else os.fspath(out),
    )
    return Analysis(done, summary, notes)


def compare(
    base_dir: PathLike,
    *policy_dirs: PathLike,
    out: PathLike,
    window: Optional[str] = None,
    cohort_year: Optional[int] = None,
    names: Optional[Sequence[str]] = None,
    png: bool = False,
) -> Analysis:
    """Compare policy runs with the base run in ``base_dir``, paired
    replicate by replicate, as ``migflow compare`` does: every policy must
    have the base's seed, replicates and years. ``window`` (``"2021-2025"``
    or one year; default every year) is what the effects average over;
    ``cohort_year`` adds the effects on that year's cohorts; ``names`` name
    the policies in order (default: their scenario files' names); ``png``
    also writes PNG charts. Writes ``differences.csv``,
    ``cohort_differences.csv``, ``effects.csv``,
    ``cost_effectiveness.csv``, charts and ``manifest.json`` into ``out``."""
    if not policy_dirs:
        raise InputError("compare: expected at least one policy run's results directory after the base's")
    _names, notes = _migflow.compare(
        os.fspath(base_dir),
        [os.fspath(p) for p in policy_dirs],
        os.fspath(out),
        window=window,
        cohort_year=cohort_year,
        names=list(names or []),
        png=png,
    )
    return Analysis(out, "", notes)


def calibrate(
    calibration: PathLike,
    out: PathLike,
    samples: int = 1000,
    method: str = "rejection",
    accept: float = 0.1,
    generations: int = 4,
    resume: bool = False,
    threads: Optional[int] = None,
    progress: bool = True,
) -> Calibration:
    """Fit the free parameters of the calibration file ``calibration`` to
    its observed targets by approximate Bayesian computation, as
    ``migflow calibrate`` does: ``method="rejection"`` keeps the
    ``accept`` fraction of ``samples`` draws from the prior, closest first;
    ``method="smc"`` runs ABC-SMC over ``generations`` generations of
    ``samples``. ``resume=True`` finishes an interrupted calibration in
    ``out``. Writes ``samples.csv``, ``posterior.csv``, ``fit.csv``,
    ``best_fit.toml`` and ``manifest.json``; the warnings the CLI prints
    are issued as ``RuntimeWarning`` and kept in ``.warnings``.

    Ctrl-C takes effect when the calibration ends (it cannot stop part-way;
    its samples are committed as they finish, so a killed process resumes)."""
    shown = _Progress("samples", progress)
    try:
        found = _migflow.calibrate(
            os.fspath(calibration),
            os.fspath(out),
            samples=samples,
            method=method,
            accept=accept,
            generations=generations,
            resume=resume,
            threads=threads,
            progress=shown,
        )
    finally:
        shown.close()
    for w in found:
        warnings.warn(w, RuntimeWarning, stacklevel=2)
    return Calibration(out, found)
