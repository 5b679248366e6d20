#!/usr/bin/env bash
# The share of degenerate revisions on the shipped red-team set with the shipped settings, with
# the constitution's repetition controls switched off ("before") and as shipped ("after"): the
# default constitution, prompts, model and seed, one prompt at a time. Comparisons are left out:
# they come after the revisions and do not change them. The two runs differ only in
# `--no-repetition-controls` and run side by side. Each run resumes where it stopped when the
# script is run again. Ends with `cai report` of the two sessions side by side, flags computed
# with this version's rules: its "degenerate revisions" row holds the two shares.
#   scripts/degeneration.sh [DIR] [LIMIT]     (defaults: sessions/degeneration, every prompt)
# Needs a built `cai` (cargo build; CAI_BIN to choose another). About an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-sessions/degeneration}"
limit=()
if [ -n "${2:-}" ]; then limit=(--limit "$2"); fi
cai="${CAI_BIN:-${CARGO_TARGET_DIR:-target}/debug/cai}"
[ -x "$cai" ] || { echo "no cai binary at $cai: run cargo build first (or set CAI_BIN)" >&2; exit 1; }

"$cai" run --session "$dir/before" --no-repetition-controls "${limit[@]}" &
before=$!
"$cai" run --session "$dir/after" "${limit[@]}" &
after=$!
wait "$before"
wait "$after"
"$cai" report --session "$dir/after" --against "$dir/before" --reflag
