#!/usr/bin/env bash
# Every block of commands in README.md runs as it stands, in order, as a
# newcomer would type them: from a fresh copy of the repository's files
# (scenarios/ and the rest, without target/ or results/), with `migflow`
# the built binary and `cargo run --release --` the same binary.
#
#   scripts/test-readme.sh
#
# A ```sh block runs line by line; a line that fails fails the test,
# naming the block's line in README.md and the command. A ```python block
# runs with pandas and this checkout's Python package `migflow` (installed
# into a virtual environment under target/).
# A block right after `<!-- readme-test: skip (reason) -->` is skipped and
# the reason printed (the set-up and test commands, which CI runs itself,
# and the Slurm commands, which scripts/test-slurm-sweep.sh runs on a
# cluster). Usage synopses are ```text blocks, not commands.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release --quiet -p migflow-cli
bin="$root/target/release/migflow"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -z | grep -zv '^fuzz/' | xargs -0 cp --parents -t "$work"
mkdir -p "$work/.bin"
ln -s "$bin" "$work/.bin/migflow"

venv="$root/target/readme-venv"
python_ready() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pandas, pyarrow' 2>/dev/null
}
# The Python package of this checkout, installed afresh on the first
# python block (never an earlier build's): its own command, from the root.
package_installed=no

# Blocks as records: kind, README line, and the lines of the block.
blocks="$work/.blocks"
python3 - "$root/README.md" "$blocks" <<'EOF'
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, skip, i = [], None, 0
while i < len(lines):
    line = lines[i]
    m = re.match(r"<!-- readme-test: skip \((.*)\) -->", line)
    if m:
        skip = m.group(1)
    fence = re.match(r"```(\w*)\s*$", line)
    if fence:
        kind, start, body = fence.group(1), i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        if kind in ("sh", "python"):
            out.append({"kind": kind, "line": start, "body": body, "skip": skip})
        skip = None
    elif line.strip() and not m:
        skip = None
    i += 1
json.dump(out, open(sys.argv[2], "w"))
EOF

count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$blocks")
status=0
ran=0
for k in $(seq 0 $((count - 1))); do
    read -r kind line skip < <(python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))[int(sys.argv[2])]
print(b["kind"], b["line"], (b["skip"] or "-").replace(" ", "_"))' "$blocks" "$k")
    if [ "$skip" != "-" ]; then
        echo "-- README.md:$line ($kind): skipped: ${skip//_/ }"
        continue
    fi
    python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[int(sys.argv[2])]["body"]))' \
        "$blocks" "$k" >"$work/.block"
    echo "-- README.md:$line ($kind)"
    if [ "$kind" = python ]; then
        if ! python_ready; then
            python3 -m venv "$venv"
            "$venv/bin/pip" install --quiet pandas==2.3.3 numpy==1.26.4 pyarrow==21.0.0
        fi
        if [ "$package_installed" = no ]; then
            (cd "$root" && "$venv/bin/pip" install --quiet --disable-pip-version-check \
                --force-reinstall --no-deps ./crates/migflow-py)
            package_installed=yes
        fi
        if ! (cd "$work" && "$venv/bin/python" "$work/.block"); then
            echo "FAILED: the python block at README.md:$line" >&2
            status=1
        fi
        ran=$((ran + 1))
        continue
    fi
    while IFS= read -r cmd; do
        [ -z "${cmd// /}" ] && continue
        # `cargo run --release --` is the binary just built.
        cmd=${cmd//cargo run --release --/migflow}
        echo "   \$ $cmd"
        if ! (cd "$work" && PATH="$work/.bin:$PATH" bash -euo pipefail -c "$cmd" >"$work/.out" 2>&1); then
            echo "FAILED at README.md:$line: $cmd" >&2
            sed 's/^/   | /' "$work/.out" >&2
            status=1
        fi
    done <"$work/.block"
    ran=$((ran + 1))
done
echo "README blocks run: $ran; result: $([ $status -eq 0 ] && echo ok || echo FAILED)"
exit $status
