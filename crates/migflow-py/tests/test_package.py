"""The package's version is the workspace's; every public name is documented;
errors form one hierarchy."""

import inspect
import re

import migflow
from conftest import ROOT


def toml_version(path, table):
    """`version` of `[table]` in a Cargo.toml (no TOML reader before Python 3.11)."""
    text = path.read_text(encoding="utf-8")
    section = re.search(rf"^\[{re.escape(table)}\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert section, f"{path}: no [{table}]"
    version = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    assert version, f"{path}: no version in [{table}]"
    return version.group(1)


def test_the_version_is_the_workspace_version():
    workspace = toml_version(ROOT / "Cargo.toml", "workspace.package")
    assert toml_version(ROOT / "crates" / "migflow-py" / "Cargo.toml", "package") == workspace
    assert migflow.__version__ == workspace
    from importlib.metadata import version

    assert version("migflow") == workspace


def test_every_public_name_is_documented():
    for name in migflow.__all__:
        obj = getattr(migflow, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20, name
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr, member in vars(obj).items():
                if not attr.startswith("_"):
                    assert member.__doc__ and len(member.__doc__.strip()) > 10, f"{name}.{attr}"


def test_errors_form_one_hierarchy():
    for cls in [migflow.ScenarioError, migflow.InputError, migflow.ResultsError]:
        assert issubclass(cls, migflow.Error)
    assert issubclass(migflow.Error, Exception)
    assert not issubclass(KeyboardInterrupt, migflow.Error)
