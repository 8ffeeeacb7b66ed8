"""Type stubs of the compiled module ``migflow._migflow`` (use ``migflow``)."""

import os
import pathlib
from typing import Any, Callable, List, Literal, Mapping, Optional, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]
Progress = Optional[Callable[[int, int], None]]

__version__: str

class Error(Exception):
    """The base of every error migflow raises; its message is the library's."""

class ScenarioError(Error):
    """A scenario that does not parse or validate, or a key or value ``Scenario.set`` refuses."""

class InputError(Error):
    """An unreadable input, an option out of range, or an output directory the run may not write."""

class ResultsError(Error):
    """A directory that is not a complete, unchanged migflow results directory."""

class Scenario:
    """A validated migflow scenario, read and changed by dotted paths."""

    @staticmethod
    def default() -> Scenario:
        """The built-in default scenario (T County)."""
    @staticmethod
    def from_toml(source: Union[str, "os.PathLike[str]"]) -> Scenario:
        """A scenario from a TOML file (when ``source`` names one) or TOML text."""
    def get(self, path: str) -> Union[float, int, bool, str]:
        """The value of the key at a dotted path."""
    def set(self, path: str, value: Union[float, int, bool, str]) -> None:
        """Set the key at a dotted path, validating the scenario at once."""
    def to_toml(self) -> str:
        """The scenario as TOML text with every key."""
    def paths(self) -> List[str]:
        """Every addressable dotted path, in file order."""
    @property
    def source(self) -> Optional[pathlib.Path]:
        """The file the scenario was read from, or None."""
    def warnings(self) -> List[str]:
        """Warnings about what the scenario holds that cannot act."""

def run(
    scenario: Scenario,
    out: PathLike,
    replicates: int = 1,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    households_out: bool = False,
    by_site: bool = False,
    cohort_years: Optional[List[int]] = None,
    format: Literal["csv", "parquet"] = "csv",
) -> None:
    """Run ``scenario`` into ``out`` as ``migflow run`` does (the GIL
    released); Ctrl-C raises ``KeyboardInterrupt`` and writes nothing."""

def save_as(src: PathLike, dst: PathLike, format: Literal["csv", "parquet"]) -> None:
    """Write the run in ``src`` into ``dst`` with its tables in ``format``:
    the files ``migflow run --format FORMAT`` writes for the same run."""

def verify(dir: PathLike) -> Literal["run", "sweep"]:
    """Check a run's or a sweep's results directory against its manifest
    (every listed file's SHA-256); its kind, or ``ResultsError``."""

def sweep(
    sweep: Union[PathLike, Mapping[str, Any]],
    out: PathLike,
    resume: bool = False,
    threads: Optional[int] = None,
    progress: Progress = None,
    format: Literal["csv", "parquet"] = "csv",
) -> Tuple[int, int, int, Optional[str]]:
    """Run a sweep into ``out`` as ``migflow sweep`` does; Ctrl-C raises
    ``KeyboardInterrupt``, keeping the finished runs. Returns (completed,
    failed, executed now, the error of timing.json or None)."""

def calibrate(
    calibration: PathLike,
    out: PathLike,
    samples: int = 1000,
    method: str = "rejection",
    accept: float = 0.1,
    generations: int = 4,
    resume: bool = False,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> List[str]:
    """Calibrate into ``out`` as ``migflow calibrate`` does; the warnings it prints."""

def sensitivity(
    sweep_dir: PathLike,
    out: Optional[PathLike] = None,
    metrics: List[str] = ...,
    year: Optional[int] = None,
    bootstrap: int = 500,
) -> Tuple[pathlib.Path, str, List[str]]:
    """``migflow sensitivity``: (the directory written, the summary, the notes)."""

def discover(
    sweep_dir: PathLike,
    outcome: str,
    where: str,
    policy: Optional[str] = None,
    method: str = "prim",
    alpha: float = 0.05,
    box_index: Optional[int] = None,
    threshold: float = 0.8,
    min_mass: float = 0.05,
    max_depth: int = 3,
    out: Optional[PathLike] = None,
) -> Tuple[pathlib.Path, str, List[str]]:
    """``migflow discover``: (the directory written, the summary, the notes)."""

def robust(
    sweep_dir: PathLike,
    outcome: str,
    threshold: Optional[float] = None,
    maximise: bool = False,
    out: Optional[PathLike] = None,
) -> Tuple[pathlib.Path, str, List[str]]:
    """``migflow robust``: (the directory written, the summary, the notes)."""

def compare(
    base: PathLike,
    policies: List[PathLike],
    out: PathLike,
    window: Optional[str] = None,
    cohort_year: Optional[int] = None,
    names: List[str] = ...,
    png: bool = False,
) -> Tuple[List[str], List[str]]:
    """``migflow compare``: (the policies' names, the notes)."""

def default_scenario_toml() -> str:
    """The built-in default scenario's TOML, every key commented."""
