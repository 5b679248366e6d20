#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` once, from the llama.cpp source shipped in the PyPI sdist of
# llama-cpp-python, into a per-user cache outside the clone, and prints the binary's path.
# The tests that talk to real servers and `.ci/run` both call it; a second call only prints the
# path. About 6 minutes on 2 cores; needs a C++ compiler, make and Python 3 with pip (cmake comes
# from PyPI, into a virtual environment beside the build).
#   scripts/llama-server.sh            # build if missing, print the path
# The cache is $CAI_LLAMA_SERVER_DIR, or ~/.cache/cai-workbench/llama-server/<version>.
# Portable flags: AVX2, FMA and F16C without GGML_NATIVE, so the binary runs on any x86-64-v3
# CPU; AMX stays off (a native build turns it on, and it crashes where the kernel does not grant
# AMX state to the process).
set -euo pipefail
version=0.3.36
cache="${CAI_LLAMA_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cai-workbench/llama-server/$version}"
bin="$cache/bin/llama-server"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
# One build at a time: tests running in parallel wait for the first one's build.
exec 9>"$cache/.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
log="$cache/build.log"
echo "building llama-server $version into $cache (log: $log)" >&2
{
  if [ ! -x "$cache/venv/bin/cmake" ]; then
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/python" -m pip install --quiet cmake
  fi
  if [ ! -d "$cache/src/llama_cpp_python-$version" ]; then
    mkdir -p "$cache/src"
    python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
      "llama-cpp-python==$version" -d "$cache/src"
    tar -xzf "$cache/src/llama_cpp_python-$version.tar.gz" -C "$cache/src"
  fi
  src="$cache/src/llama_cpp_python-$version/vendor/llama.cpp"
  "$cache/venv/bin/cmake" -S "$src" -B "$cache/build" -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
    -DGGML_BMI2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
  "$cache/venv/bin/cmake" --build "$cache/build" --target llama-server -j "$(nproc)"
  mkdir -p "$cache/bin"
  cp "$cache/build/bin/llama-server" "$bin.tmp"
  mv "$bin.tmp" "$bin"
} >"$log" 2>&1 || {
  echo "building llama-server failed; the last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
echo "$bin"
