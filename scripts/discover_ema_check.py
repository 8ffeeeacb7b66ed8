#!/usr/bin/env python3
"""Compare `migflow discover` (PRIM) with the EMA Workbench's PRIM.

Usage: discover_ema_check.py DISCOVER_DIR [DISCOVER_DIR ...]

Each DISCOVER_DIR is an output directory of `migflow discover --method prim`.
Reads its cases.csv (the exact table migflow handed to PRIM) and the factor
kinds and settings recorded in manifest.json, runs
ema_workbench.analysis.prim.Prim on the same table with the same settings,
and compares, with a relative tolerance of 1e-9:

- every row of the peeling trajectory (coverage, density, mean, mass,
  res_dim, n, k) with prim_trajectory.csv;
- the chosen box's limits on every factor (numbers, or the set of
  categories) and whether each is restricted, with box_limits.csv;
- the quasi-p-values of the chosen box's restricted limits;
- that the chosen box is the last one of density >= threshold (when no
  --box was given).

EMA's find_box() returns a "dump box" (the whole space) when the last box
misses the threshold; then the trajectory is compared with EMA's own
_peel and _paste run on the same PrimBox, which is what find_box does
before that decision. Exits 1 on the first directory that differs, listing
every difference in it.
"""

import csv
import json
import math
import sys

import numpy as np
import pandas as pd
from ema_workbench.analysis import prim as ema_prim

RTOL = 1e-9


def user_text(cell):
    # migflow writes a text cell that a spreadsheet would read as a formula
    # with a leading ' (migflow_io::tables::csv_user_text).
    if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


def close(a, b, rtol=RTOL, atol=0.0):
    if a == b:
        return True
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= max(rtol * max(abs(a), abs(b)), atol)


def load(dirname):
    with open(f"{dirname}/manifest.json") as f:
        manifest = json.load(f)
    kinds = {fac["name"]: fac["kind"] for fac in manifest["factors"]}
    with open(f"{dirname}/cases.csv", newline="") as f:
        rows = list(csv.reader(f))
    header = [user_text(h) for h in rows[0]]
    body = rows[1:]
    names = [h for h in header[1:-2]]
    assert names == [fac["name"] for fac in manifest["factors"]], (names, manifest["factors"])
    data = {}
    for j, name in enumerate(names, start=1):
        cells = [r[j] for r in body]
        if kinds[name] == "real":
            data[name] = np.array([float(c) for c in cells], dtype=np.float64)
        elif kinds[name] == "int":
            data[name] = np.array([int(c) for c in cells], dtype=np.int64)
        else:
            data[name] = np.array([user_text(c) for c in cells], dtype=object)
    x = pd.DataFrame(data, columns=names)
    y = np.array([int(r[-1]) for r in body], dtype=np.int64)
    return manifest, kinds, x, y


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check(dirname):
    manifest, kinds, x, y = load(dirname)
    o = manifest["options"]
    if o["method"] != "prim":
        print(f"{dirname}: method {o['method']}, not prim: skipped")
        return True
    p = ema_prim.Prim(
        x,
        y,
        threshold=o["threshold"],
        peel_alpha=o["peel_alpha"],
        paste_alpha=o["paste_alpha"],
        mass_min=o["mass_min"],
    )
    box = p.find_box()
    how = "find_box()"
    if box.mean < o["threshold"] or len(box.peeling_trajectory) == 1:
        # find_box made a dump box: redo its steps to get the trajectory.
        p = ema_prim.Prim(
            x, y, threshold=o["threshold"], peel_alpha=o["peel_alpha"],
            paste_alpha=o["paste_alpha"], mass_min=o["mass_min"],
        )
        p._update_yi_remaining(p)
        box = ema_prim.PrimBox(p, p.box_init, p.yi_remaining[:])
        box = p._peel(box)
        box = p._paste(box)
        how = "_peel and _paste (find_box returned a dump box)"
    diffs = []
    ours = read_csv(f"{dirname}/prim_trajectory.csv")
    theirs = box.peeling_trajectory
    if len(ours) != len(theirs):
        diffs.append(f"trajectory: migflow has {len(ours)} boxes, EMA {len(theirs)}")
    for i in range(min(len(ours), len(theirs))):
        for col in ["coverage", "density", "mean", "mass", "res_dim", "n", "k"]:
            a = float(ours[i][col])
            b = float(theirs.iloc[i][col])
            if not close(a, b):
                diffs.append(f"trajectory box {i} {col}: migflow {a!r}, EMA {b!r}")
    chosen = o["chosen_box"]
    if chosen >= len(theirs):
        diffs.append(f"chosen box {chosen} is not on EMA's trajectory")
        chosen = None
    if chosen is not None:
        dens = list(theirs["density"])
        reaching = [i for i, d in enumerate(dens) if d >= o["threshold"]]
        if reaching and chosen != reaching[-1]:
            print(f"{dirname}: note: box {chosen} chosen (--box?), the last of density >= threshold is {reaching[-1]}")
        lims = box.box_lims[chosen]
        init = p.box_init
        qp = box.qp[chosen]
        for row in read_csv(f"{dirname}/box_limits.csv"):
            u = user_text(row["factor"])
            kind = kinds[u]
            restricted = row["restricted"] == "true"
            ema_restricted = not all(init[u].values == lims[u].values)
            if restricted != ema_restricted:
                diffs.append(f"{u}: restricted migflow {restricted}, EMA {ema_restricted}")
            if kind == "categorical":
                ours_set = set(user_text(row["categories"]).split(";"))
                if ours_set != set(lims[u].iloc[0]):
                    diffs.append(f"{u}: categories migflow {sorted(ours_set)}, EMA {sorted(lims[u].iloc[0])}")
                full = set(user_text(row["all_categories"]).split(";"))
                if full != set(init[u].iloc[0]):
                    diffs.append(f"{u}: all categories differ")
            else:
                for side, k in (("lower", 0), ("upper", 1)):
                    a, b = float(row[side]), float(lims[u].iloc[k])
                    if not close(a, b):
                        diffs.append(f"{u} {side}: migflow {a!r}, EMA {b!r}")
                for side, k in (("minimum", 0), ("maximum", 1)):
                    a, b = float(row[side]), float(init[u].iloc[k])
                    if not close(a, b):
                        diffs.append(f"{u} {side}: migflow {a!r}, EMA {b!r}")
            if ema_restricted:
                ema_qp = qp.get(u, [-1, -1])
                for side, k in (("qp_lower", 0), ("qp_upper", 1)):
                    a = float(row[side]) if row[side] != "" else -1.0
                    b = float(ema_qp[k])
                    if not close(a, b, rtol=RTOL, atol=1e-300):
                        diffs.append(f"{u} {side}: migflow {a!r}, EMA {b!r}")
    n_boxes = len(theirs)
    if diffs:
        print(f"FAIL {dirname}: {len(diffs)} difference(s) from EMA Workbench 2.5.3 ({how}):")
        for d in diffs:
            print(f"  {d}")
        return False
    print(
        f"ok {dirname}: {len(x)} points, {int(y.sum())} cases, {x.shape[1]} factors "
        f"({', '.join(sorted(set(kinds.values())))}); {n_boxes} boxes equal to EMA ({how}); "
        f"box {chosen} limits and quasi-p-values equal"
    )
    return True


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    ok = True
    for d in sys.argv[1:]:
        ok = check(d) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
