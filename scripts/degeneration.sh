#!/usr/bin/env bash
# The share of degenerate revisions on the shipped red-team set with the shipped settings, with
# the constitution's repetition controls switched off ("before") and as shipped ("after"): the
# default constitution, prompts, model and seed, one prompt at a time, comparisons on (as the
# workbench runs). The two runs differ only in `--no-repetition-controls`. Each run resumes where
# it stopped when the script is run again. Ends with `cai report` of the two sessions side by
# side: its "revisions degenerate" row holds the two shares.
#   scripts/degeneration.sh [DIR] [LIMIT]     (defaults: sessions/degeneration, every prompt)
# Needs a built `cai` (cargo build; CAI_BIN to choose another). About an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-sessions/degeneration}"
limit=()
if [ -n "${2:-}" ]; then limit=(--limit "$2"); fi
cai="${CAI_BIN:-${CARGO_TARGET_DIR:-target}/debug/cai}"
[ -x "$cai" ] || { echo "no cai binary at $cai: run cargo build first (or set CAI_BIN)" >&2; exit 1; }

"$cai" run --compare --session "$dir/before" --no-repetition-controls "${limit[@]}"
"$cai" run --compare --session "$dir/after" "${limit[@]}"
"$cai" report --session "$dir/after" --against "$dir/before"
