#!/usr/bin/env bash
# What spreading over servers buys: the whole pipeline over the same prompts through one
# llama.cpp server and through two, each server with THREADS threads (1 by default, so that two
# servers fit on 2 cores) and 2 parallel sequences, runs alternating, REPEAT times. Uses
# `cai bench --in-flight`, which prints wall seconds and tokens/s per run; the endpoints' in-flight
# limits are filled (2 prompts in flight for one server, 4 for two).
#   scripts/bench-servers.sh [PROMPTS] [REPEAT]      (defaults: 20 prompts, 2 repeats)
# CONSTITUTION=FILE runs another constitution (e.g. one with temperature = 0, so that answer
# lengths vary less between runs); LOCAL=1 also times the model in process, one prompt at a
# time. Needs a built `cai` (cargo build; CAI_BIN to choose another) and builds llama-server once.
set -euo pipefail
cd "$(dirname "$0")/.."
prompts="${1:-20}"
repeat="${2:-2}"
constitution="${CONSTITUTION:-constitutions/harmless.toml}"
threads="${THREADS:-1}"
server="$(scripts/llama-server.sh)"
cai="${CAI_BIN:-${CARGO_TARGET_DIR:-target}/debug/cai}"
[ -x "$cai" ] || { echo "no cai binary at $cai: run cargo build first (or set CAI_BIN)" >&2; exit 1; }
model="$("$cai" model path)"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
urls=()
for _ in 1 2; do
  port="$(free_port)"
  "$server" -m "$model" --host 127.0.0.1 --port "$port" -t "$threads" -np 2 -c 4096 \
    >/dev/null 2>&1 &
  pids+=("$!")
  urls+=("http://127.0.0.1:$port/v1")
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ] && break
    sleep 0.5
  done
done

bench() {
  local in_flight="$1"; shift
  "$cai" bench --in-flight "$in_flight" --in-flight-prompts "$prompts" \
    --constitution "$constitution" "$@" 2>/dev/null | grep -v '^model'
}
for run in $(seq 1 "$repeat"); do
  echo "== run $run, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "${LOCAL:-0}" = 1 ]; then
    echo "-- in process"
    bench 1
  fi
  echo "-- one server"
  bench 2 --max-in-flight 2 --endpoint "${urls[0]}"
  echo "-- two servers"
  bench 4 --max-in-flight 2 --endpoint "${urls[0]}" --endpoint "${urls[1]}"
done
