"""migflow as an EMA Workbench model: exploratory modelling of two policies
over deep uncertainty.

    pip install ./crates/migflow-py ema_workbench==2.5.3   # from the repository root
    python examples/python/ema_workbench.py               # 50 scenarios x 2 policies, ~20 s

`build_model()` wraps `migflow.run` as an EMA `Model`:

- **uncertainties** (EMA `RealParameter`s, sampled by Latin hypercube): four
  behavioural and income parameters of the default scenario,
  `decision.beta_net`, `decision.kappa`, `economy.w_out_month` and
  `economy.p_loss_out`;
- **levers**: `levers.workshops.workshop_jobs_share` and
  `levers.training.training_share`, set by two named policies, the default
  scenario's values (`status_quo`) and an expansion of both (`expanded`);
- **constants**: the number of households, so a small example runs fast;
- **outcomes** (`ScalarOutcome`s): per livelihood (`outbound`, `local`,
  `farm`, `mixed`, `none`, `all`) the poverty share averaged over the last
  `window` years of the run and over migflow's replicates, named
  `<livelihood>_poor_share`. A livelihood that nobody has in some years
  contributes only the years it has households; one nobody ever has in the
  window is NaN.

Every experiment runs with the same migflow seed, so the replicates use
common random numbers across scenarios and policies (differences between
experiments are paired, not noise). The mean is `statistics.fmean`
(correctly rounded, so it does not depend on the order of the values).

EMA's parameter names must be Python identifiers, so each parameter has a
short name (`beta_net`) and the dotted scenario key it sets is in
`UNCERTAINTIES`, `LEVERS` and `CONSTANTS`.
"""

from __future__ import annotations

import math
import os
import statistics
import sys

# This file is named after the package it uses: when run as a script its
# own directory is first on sys.path, and `import ema_workbench` would
# import this file. Drop that directory before importing the package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402
from ema_workbench import (  # noqa: E402
    Constant,
    Model,
    Policy,
    RealParameter,
    ScalarOutcome,
    SequentialEvaluator,
)

import migflow  # noqa: E402

#: EMA name -> (scenario key, low, high) of the uncertain parameters.
UNCERTAINTIES = {
    "beta_net": ("decision.beta_net", 0.5, 3.0),
    "kappa": ("decision.kappa", 0.25, 2.0),
    "w_out_month": ("economy.w_out_month", 3000.0, 4600.0),
    "p_loss_out": ("economy.p_loss_out", 0.05, 0.4),
}
#: EMA name -> (scenario key, low, high) of the levers.
LEVERS = {
    "workshop_jobs_share": ("levers.workshops.workshop_jobs_share", 0.0, 0.2),
    "training_share": ("levers.training.training_share", 0.0, 0.1),
}
#: EMA name -> scenario key of the constants.
CONSTANTS = {"households": "population.households", "years": "run.years"}
#: The two policies: the default scenario's levers, and both expanded.
POLICIES = {
    "status_quo": {"workshop_jobs_share": 0.08, "training_share": 0.02},
    "expanded": {"workshop_jobs_share": 0.16, "training_share": 0.06},
}
#: The livelihoods of trajectories.csv, and `all`.
LIVELIHOODS = ("outbound", "local", "farm", "mixed", "none", "all")


def scenario_of(params: dict) -> migflow.Scenario:
    """The default scenario with EMA's parameters (short names) set."""
    s = migflow.Scenario.default()
    keys = {name: spec[0] for name, spec in {**UNCERTAINTIES, **LEVERS}.items()}
    keys.update(CONSTANTS)
    for name, value in params.items():
        # EMA hands over numpy scalars; migflow takes Python numbers.
        s.set(keys[name], value.item() if hasattr(value, "item") else value)
    return s


def poor_shares(results: migflow.Results, window: int) -> dict:
    """Per livelihood, the mean poverty share over the last `window` years
    of the run, over every replicate (rows with no households are left out)."""
    t = results.trajectories.to_pydict()
    last = max(t["year"])
    values = {liv: [] for liv in LIVELIHOODS}
    for year, liv, share in zip(t["year"], t["livelihood"], t["poor_share"]):
        if year > last - window and share is not None:
            values[liv].append(share)
    return {
        f"{liv}_poor_share": statistics.fmean(v) if v else math.nan for liv, v in values.items()
    }


def build_model(
    households: int = 2000,
    years: int = 15,
    window: int = 5,
    replicates: int = 2,
    seed: int = 7,
) -> Model:
    """An EMA `Model` running migflow on the default scenario with
    `households` households over `years` years; outcomes are the poverty
    shares per livelihood over the last `window` years, averaged over
    `replicates` replicates of migflow seed `seed`."""
    if not 1 <= window <= years:
        raise ValueError(f"window = {window}: expected 1 to years ({years})")

    def run_migflow(**params):
        s = scenario_of(params)
        return poor_shares(migflow.run(s, replicates=replicates, seed=seed), window)

    model = Model("migflow", function=run_migflow)
    model.uncertainties = [RealParameter(n, lo, hi) for n, (_, lo, hi) in UNCERTAINTIES.items()]
    model.levers = [RealParameter(n, lo, hi) for n, (_, lo, hi) in LEVERS.items()]
    model.constants = [Constant("households", households), Constant("years", years)]
    model.outcomes = [ScalarOutcome(f"{liv}_poor_share") for liv in LIVELIHOODS]
    return model


def policies() -> list:
    """The two named policies as EMA `Policy` objects."""
    return [Policy(name, **levers) for name, levers in POLICIES.items()]


def explore(model: Model, scenarios: int, sample_seed: int = 1):
    """`scenarios` Latin-hypercube scenarios of the uncertainties, each under
    both policies, run one after the other: (experiments, outcomes) as EMA
    returns them."""
    np.random.seed(sample_seed)  # EMA's samplers draw from numpy's global state
    with SequentialEvaluator(model) as evaluator:
        return evaluator.perform_experiments(scenarios=scenarios, policies=policies())


def main() -> None:
    model = build_model()
    experiments, outcomes = explore(model, scenarios=50)
    print(f"{len(experiments)} experiments ({experiments['policy'].nunique()} policies)")
    for policy in POLICIES:
        rows = (experiments["policy"] == policy).to_numpy()
        print(f"\n{policy}: poverty share over the last 5 years, across the 50 scenarios")
        for liv in LIVELIHOODS:
            v = outcomes[f"{liv}_poor_share"][rows]
            v = v[~np.isnan(v)]
            print(
                f"  {liv:9s} median {np.median(v):.4f}  "
                f"5-95% {np.percentile(v, 5):.4f}-{np.percentile(v, 95):.4f}"
            )
    # Paired by scenario: the expansion's effect on all households' poverty.
    d = (
        outcomes["all_poor_share"][(experiments["policy"] == "expanded").to_numpy()]
        - outcomes["all_poor_share"][(experiments["policy"] == "status_quo").to_numpy()]
    )
    print(
        f"\nexpanded - status_quo, all households: mean {d.mean():+.4f}, "
        f"lower in {(d < 0).sum()} of {len(d)} scenarios"
    )


if __name__ == "__main__":
    main()
