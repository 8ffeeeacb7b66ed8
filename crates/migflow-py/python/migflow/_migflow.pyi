"""Type stubs of the compiled module ``migflow._migflow`` (use ``migflow``)."""

import os
import pathlib
from typing import List, Optional, Union

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
    out: str,
    replicates: int = 1,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    households_out: bool = False,
    by_site: bool = False,
    cohort_years: Optional[List[int]] = None,
) -> None:
    """Run ``scenario`` into ``out`` as ``migflow run`` does (the GIL released)."""

def verify(dir: str) -> None:
    """Check a results directory against its manifest; raises ``ResultsError``."""

def default_scenario_toml() -> str:
    """The built-in default scenario's TOML, every key commented."""
