"""SALib and `migflow sensitivity` give the same Sobol indices on the same
points and the same model outputs.

SALib's Saltelli sampler (`SALib.sample.sobol.sample`, no second order)
draws the points; they go to migflow as a `sobol` design read from a file
(`kind = "sobol"`, `file = ...`, with the role columns `sobol_base` and
`sobol_matrix`), the sweep runs them, `migflow sensitivity` estimates S1
and ST with its bootstrap intervals, and `SALib.analyze.sobol.analyze` is
given the same outputs (runs.csv, averaged over each point's replicates)
in its own row order. The total indices (Jansen's estimator in both) agree
to rounding; the first-order indices use the same Saltelli (2010)
estimator but SALib standardises the outputs over all points and migflow
centres them on the A and B points, so they differ slightly and each must
lie in the other's 95 % interval. migflow's S1 is also recomputed here from
the outputs, to rounding.
"""

import csv
import subprocess

import numpy as np
import pytest

SALib = pytest.importorskip("SALib")
from SALib.analyze import sobol as sobol_analyze  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402

FACTORS = {
    "decision.beta_net": (0.5, 3.0),
    "levers.workshops.workshop_jobs_share": (0.0, 0.2),
    "decision.kappa": (0.25, 2.0),
}
N = 32  # base points: N · (k + 2) = 160 points
REPLICATES = 2
METRICS = ["all_mean_poor_share", "outbound_mean_poor_share", "all_cum_returned"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def salib_sweep(cli, tmp_path_factory):
    """SALib's points, the sweep of them, and `migflow sensitivity` of it."""
    work = tmp_path_factory.mktemp("salib")
    names = list(FACTORS)
    k = len(names)
    problem = {"num_vars": k, "names": names, "bounds": [list(FACTORS[n]) for n in names]}
    x = sobol_sample.sample(problem, N, calc_second_order=False, seed=3)
    assert x.shape == (N * (k + 2), k)
    # SALib's layout: per base point A, AB_0 .. AB_(k-1), B.
    roles = ["A"] + [f"AB{j}" for j in range(k)] + ["B"]
    with open(work / "saltelli.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names + ["sobol_base", "sobol_matrix"])
        for i, row in enumerate(x):
            # repr: the shortest text that reads back as the same float.
            w.writerow([repr(float(v)) for v in row] + [i // (k + 2), roles[i % (k + 2)]])
    factors = "".join(
        f'[[factors]]\npath = "{n}"\nmin = {lo!r}\nmax = {hi!r}\n' for n, (lo, hi) in FACTORS.items()
    )
    (work / "sweep.toml").write_text(
        f'base = "default"\nseed = 5\nreplicates = {REPLICATES}\n'
        '[design]\nkind = "sobol"\nfile = "saltelli.csv"\n'
        '[[factors]]\npath = "population.households"\nlevels = [300]\n'
        '[[factors]]\npath = "run.years"\nlevels = [4]\n' + factors,
        encoding="utf-8",
    )
    out = work / "sweep"
    subprocess.run(
        [str(cli), "sweep", str(work / "sweep.toml"), "--out", str(out), "--quiet"], check=True
    )
    metric_args = [a for m in METRICS for a in ("--metric", m)]
    subprocess.run(
        [str(cli), "sensitivity", str(out), *metric_args, "--out", str(work / "sens")],
        check=True,
        capture_output=True,
    )
    return problem, x, out, read_csv(work / "sens" / "sensitivity.csv")


def outputs(sweep_dir, metric, points):
    """Per point (in point order), the metric averaged over its replicates."""
    sums = np.zeros(points)
    counts = np.zeros(points)
    for r in read_csv(sweep_dir / "runs.csv"):
        assert r["status"] == "ok"
        p = int(r["point_id"])
        sums[p] += float(r[metric])
        counts[p] += 1
    assert (counts == REPLICATES).all()
    return sums / counts


def migflow_indices(rows, metric):
    """{(factor, index): (value, low, high)} of sensitivity.csv for metric."""
    got = {}
    for r in rows:
        if r["metric"] == metric:
            got[(r["factor"], r["index"])] = tuple(
                float(r[c]) for c in ("value", "ci95_low", "ci95_high")
            )
    return got


def test_the_sweep_ran_salibs_points_with_their_roles(salib_sweep):
    problem, x, out, _ = salib_sweep
    k = problem["num_vars"]
    points = read_csv(out / "points.csv")
    assert len(points) == len(x)
    for i, p in enumerate(points):
        assert int(p["point_id"]) == i
        assert [float(p[n]) for n in problem["names"]] == list(x[i]), i
        assert int(p["sobol_base"]) == i // (k + 2)
        assert p["sobol_matrix"] == (["A"] + [f"AB{j}" for j in range(k)] + ["B"])[i % (k + 2)]
        assert p["population.households"] == "300"


@pytest.mark.parametrize("metric", METRICS)
def test_salib_and_migflow_sensitivity_agree_on_the_same_outputs(salib_sweep, metric):
    problem, x, out, rows = salib_sweep
    names = problem["names"]
    k = len(names)
    y = outputs(out, metric, len(x))
    assert np.ptp(y) > 0, f"{metric} does not vary"
    si = sobol_analyze.analyze(
        problem, y, calc_second_order=False, num_resamples=500, conf_level=0.95, seed=1
    )
    got = migflow_indices(rows, metric)
    assert len(got) == 2 * k
    # migflow's S1 recomputed from the same outputs: Saltelli 2010 with the
    # outputs centred on their mean over the A and B points.
    a = y[0 :: k + 2]
    b = y[k + 1 :: k + 2]
    m = np.r_[a, b].mean()
    v = np.r_[a, b].var()
    for j, name in enumerate(names):
        ab = y[j + 1 :: k + 2]
        s1, s1_lo, s1_hi = got[(name, "S1")]
        st, st_lo, st_hi = got[(name, "ST")]
        assert s1 == pytest.approx(np.mean((b - m) * (ab - a)) / v, abs=1e-12), (metric, name)
        # Jansen's total index: the same estimate in both.
        assert st == pytest.approx(si["ST"][j], rel=1e-9, abs=1e-12), (metric, name)
        assert st_lo <= si["ST"][j] <= st_hi
        # First order: each estimate within the other's 95 % interval.
        assert s1_lo <= si["S1"][j] <= s1_hi, (metric, name, si["S1"][j], (s1_lo, s1_hi))
        half = si["S1_conf"][j]
        assert si["S1"][j] - half <= s1 <= si["S1"][j] + half, (metric, name, s1, si["S1"][j], half)
        assert si["ST"][j] - si["ST_conf"][j] <= st <= si["ST"][j] + si["ST_conf"][j]


def test_a_broken_saltelli_file_is_refused_naming_the_line(cli, salib_sweep, tmp_path):
    problem, x, _, _ = salib_sweep
    k = problem["num_vars"]
    text = (salib_sweep[2].parent / "saltelli.csv").read_text(encoding="utf-8").splitlines()
    # Line 3 is base point 0's AB0: give it A's first value, not B's.
    cells = text[2].split(",")
    cells[0] = text[1].split(",")[0]
    text[2] = ",".join(cells)
    (tmp_path / "saltelli.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    sweep = (salib_sweep[2].parent / "sweep.toml").read_text(encoding="utf-8")
    (tmp_path / "sweep.toml").write_text(sweep, encoding="utf-8")
    r = subprocess.run(
        [str(cli), "validate", str(tmp_path / "sweep.toml")], capture_output=True, text=True
    )
    assert r.returncode != 0
    assert "saltelli.csv, line 3, column `decision.beta_net`" in r.stderr, r.stderr
    assert f"AB0 is A with factor 0 (`{problem['names'][0]}`) taken from B" in r.stderr
    assert k == 3
