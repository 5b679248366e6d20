#!/usr/bin/env bash
# Speed of the patched crates against the released ones, in one sitting: builds `cai` both ways
# (the released build in its own target directory; the first time takes about 10 minutes on 2
# cores), then runs `cai bench --json` alternately, RUNS times each.
#   patches/bench.sh [RUNS] [extra cai bench arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-2}"
shift || true
target="${CARGO_TARGET_DIR:-target}"

cargo build
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$target/debug/cai" "$work/cai-patched"

# The same sources without the [patch.crates-io] section.
git archive HEAD | tar -x -C "$work" --one-top-level=released
python3 - "$work/released/Cargo.toml" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
out, skipping = [], False
for line in lines:
    if line.startswith("["):
        skipping = line.strip() == "[patch.crates-io]"
    if not skipping:
        out.append(line)
open(path, "w").write("\n".join(out))
PY
(cd "$work/released" && CARGO_TARGET_DIR="$target-released" cargo build)
cp "$target-released/debug/cai" "$work/cai-released"

for run in $(seq "$runs"); do
  for which in released patched; do
    printf '%s run %s: ' "$which" "$run"
    "$work/cai-$which" bench --json "$@" 2>/dev/null | tail -n 1
  done
done
