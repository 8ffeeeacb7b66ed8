"""The EMA Workbench example (examples/python/ema_workbench.py) runs
migflow as an EMA model: a small version of it (4 scenarios x 2 policies)
gives, for every experiment, exactly the outcomes that `migflow.run` of the
same parameter values gives, recomputed here from scratch (the scenario
keys written out here, the window mean taken with pandas and math.fsum).
"""

import importlib.util
import math

import pytest

from conftest import ROOT

pytest.importorskip("ema_workbench")
pd = pytest.importorskip("pandas")

import migflow  # noqa: E402

EXAMPLE = ROOT / "examples" / "python" / "ema_workbench.py"

# The test's own reading of the example's parameters: EMA name -> key.
KEYS = {
    "beta_net": "decision.beta_net",
    "kappa": "decision.kappa",
    "w_out_month": "economy.w_out_month",
    "p_loss_out": "economy.p_loss_out",
    "workshop_jobs_share": "levers.workshops.workshop_jobs_share",
    "training_share": "levers.training.training_share",
}
HOUSEHOLDS, YEARS, WINDOW, REPLICATES, SEED = 300, 4, 2, 2, 7
LIVELIHOODS = ["outbound", "local", "farm", "mixed", "none", "all"]


def load_example():
    # Under another module name: `ema_workbench` is the package's.
    spec = importlib.util.spec_from_file_location("migflow_ema_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def explored():
    ex = load_example()
    model = ex.build_model(
        households=HOUSEHOLDS, years=YEARS, window=WINDOW, replicates=REPLICATES, seed=SEED
    )
    experiments, outcomes = ex.explore(model, scenarios=4)
    return ex, experiments, outcomes


def own_outcomes(params):
    """The poverty shares per livelihood over the last WINDOW years, from a
    migflow.run of the default scenario with `params` set."""
    s = migflow.Scenario.default()
    s.set("population.households", HOUSEHOLDS)
    s.set("run.years", YEARS)
    for name, value in params.items():
        s.set(KEYS[name], float(value))
    t = migflow.run(s, replicates=REPLICATES, seed=SEED).to_pandas("trajectories")
    assert sorted(t["replicate"].unique()) == list(range(REPLICATES))
    window = t[t["year"] > t["year"].max() - WINDOW]
    assert window["year"].nunique() == WINDOW
    out = {}
    for liv in LIVELIHOODS:
        v = window.loc[window["livelihood"] == liv, "poor_share"].dropna().tolist()
        out[f"{liv}_poor_share"] = math.fsum(v) / len(v) if v else math.nan
    return out


def test_the_experiments_are_4_scenarios_under_2_policies(explored):
    ex, experiments, outcomes = explored
    assert len(experiments) == 8
    assert sorted(experiments["policy"].unique()) == ["expanded", "status_quo"]
    assert experiments["scenario"].nunique() == 4
    for name, (_, lo, hi) in ex.UNCERTAINTIES.items():
        assert experiments[name].between(lo, hi).all(), name
        assert experiments[name].nunique() == 4, name  # one value per scenario
    for policy, levers in ex.POLICIES.items():
        rows = experiments[experiments["policy"] == policy]
        for name, value in levers.items():
            assert (rows[name] == value).all(), (policy, name)
    assert sorted(outcomes) == sorted(f"{liv}_poor_share" for liv in LIVELIHOODS)
    assert all(len(v) == 8 for v in outcomes.values())


def test_every_outcome_is_migflows_own_exactly(explored):
    _, experiments, outcomes = explored
    for i, row in experiments.reset_index(drop=True).iterrows():
        params = {name: row[name] for name in KEYS}
        want = own_outcomes(params)
        for name, value in want.items():
            got = outcomes[name][i]
            if math.isnan(value):
                assert math.isnan(got), (i, name, got)
            else:
                assert got == value, (i, row["policy"], name, got, value)
    # The policies and scenarios matter: not every experiment is the same.
    assert len(set(outcomes["all_poor_share"].tolist())) > 1
