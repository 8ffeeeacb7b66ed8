#!/usr/bin/env python3
"""Time migflow from Python against the CLI, side by side, in one sitting.

    python scripts/bench-python.py [--cli target/release/migflow] [--repeats 5]

Needs the `migflow` package installed (README) and the release CLI. Each
measure alternates the two, `--repeats` times, and prints the best and the
median wall time of each and their ratio:

- `migflow.run(Scenario.default(), out=DIR)` against `migflow run default
  --out DIR --quiet` (the default county, 8,000 households x 15 years);
- `migflow.sweep(SWEEP, out=DIR, progress=False)` against `migflow sweep
  SWEEP --out DIR --quiet`, a 1,000-run LHS of 500-household scenarios.

The CLI's time includes starting the process; Python's is the call alone
(the interpreter and the import are already paid in a notebook). Both
write the same files, which the script checks with their hashes.
"""

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import migflow

ROOT = Path(__file__).resolve().parent.parent


def sweep_text() -> str:
    """The shipped example sweep with 500 points of 500 households (1,000 runs)."""
    base = (ROOT / "scenarios" / "sweeps" / "behaviour_lhs.toml").read_text()
    text = base.replace("points = 40", "points = 500").replace("levels = [3000]", "levels = [500]")
    if text.count("points = 500") != 1 or "levels = [500]" not in text:
        raise SystemExit("behaviour_lhs.toml no longer has the keys this script sets")
    return text


TABLES = ["trajectories.csv", "runs.csv", "points_summary.csv", "summary.csv"]


def digest(out: Path) -> dict:
    return {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in TABLES
        if (out / name).exists()
    }


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def compare(label, python_call, cli_args, repeats, work):
    py_times, cli_times = [], []
    for k in range(repeats):
        py_out = work / f"{label}-py-{k}"
        cli_out = work / f"{label}-cli-{k}"
        py_times.append(timed(lambda: python_call(py_out)))
        cli_times.append(
            timed(lambda: subprocess.run(cli_args + ["--out", str(cli_out), "--quiet"], check=True))
        )
        if digest(py_out) != digest(cli_out):
            sys.exit(f"{label}: Python and the CLI wrote different files")
    best_py, best_cli = min(py_times), min(cli_times)
    med_py, med_cli = statistics.median(py_times), statistics.median(cli_times)
    print(
        f"| {label} | {best_py:.3f} s (median {med_py:.3f}) | {best_cli:.3f} s "
        f"(median {med_cli:.3f}) | {best_py / best_cli:.3f} (median {med_py / med_cli:.3f}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default="target/release/migflow")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cli = str(Path(args.cli).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sweep_file = work / "lhs1000.toml"
        sweep_file.write_text(sweep_text())
        print("| call | Python | CLI | Python / CLI |")
        print("| --- | --- | --- | --- |")
        scenario = migflow.Scenario.default()
        compare(
            "run default county",
            lambda out: migflow.run(scenario, out=out, threads=args.threads),
            [cli, "run", "--threads", str(args.threads)],
            args.repeats,
            work,
        )
        compare(
            "sweep 1,000 runs x 500 households",
            lambda out: migflow.sweep(str(sweep_file), out=out, threads=args.threads, progress=False),
            [cli, "sweep", str(sweep_file), "--threads", str(args.threads)],
            args.repeats,
            work,
        )


if __name__ == "__main__":
    main()
