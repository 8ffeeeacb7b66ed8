"""The tour notebook (examples/python/tour.ipynb) runs from top to bottom
in a fresh python3 kernel without an error: its cells run migflow, compare
two policies (and check the result against `migflow compare`), run a sweep
through the CLI and draw a matplotlib figure."""

import os

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("scipy")
pytest.importorskip("pandas")

NOTEBOOK = ROOT / "examples" / "python" / "tour.ipynb"


def test_the_tour_notebook_runs_without_error(cli, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "the notebook is stored without outputs"
    )
    # The kernel inherits the environment: the CLI the tests use.
    monkeypatch.setenv("MIGFLOW_CLI", str(cli))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on any error in a cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "workshops - base, all households' poverty share" in text, text
    assert "'n': 8" in text, text
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure drawn"
    assert os.environ["MIGFLOW_CLI"] == str(cli)
