#!/usr/bin/env bash
# Reference numbers from llama.cpp on the same GGUF files: fetches llama.cpp's source as shipped
# in the llama-cpp-python sdist, builds llama-bench for AVX2 (the level `cai` is built for) and
# runs it with 2 threads on the pulled Q4_1 file and the Q8_0 copy. About 6 minutes to build on
# 2 cores; needs a C++ compiler, and pip for the sdist and cmake.
#   patches/bench-llama-cpp.sh [WORK_DIR]
# LLAMA_CPP_LEVEL=avx512 builds for AVX-512 (with VNNI, VBMI and BF16) as well, for a CPU that
# has it. AMX stays off: llama.cpp's native build turns it on, and where the kernel does not
# grant AMX state to the process (as in some virtual machines) it crashes at its first matmul.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-${TMPDIR:-/tmp}/cai-llama-cpp}"
mkdir -p "$work"
version=0.3.36

command -v cmake >/dev/null || python3 -m pip install --quiet cmake
if [ ! -d "$work/llama_cpp_python-$version" ]; then
  python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$version" -d "$work"
  tar -xzf "$work/llama_cpp_python-$version.tar.gz" -C "$work"
fi
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)
builds=(build)
if [ "${LLAMA_CPP_LEVEL:-avx2}" = avx512 ]; then builds+=(build-avx512); fi
for build in "${builds[@]}"; do
  extra=()
  if [ "$build" = build-avx512 ]; then
    extra=(-DGGML_AVX_VNNI=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON
      -DGGML_AVX512_BF16=ON)
  fi
  cmake -S "$src" -B "$src/$build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    "${flags[@]}" "${extra[@]}" >/dev/null
  cmake --build "$src/$build" --target llama-bench -j "$(nproc)" >/dev/null
done

models="${CAI_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/cai-workbench}/models"
args=()
for f in "$models"/*/*.gguf; do args+=(-m "$f"); done
[ ${#args[@]} -gt 0 ] || { echo "no model under $models: run 'cai model pull' first" >&2; exit 1; }
for build in "${builds[@]}"; do
  echo "llama.cpp, $build:"
  "$src/$build/bin/llama-bench" "${args[@]}" -t 2 -p 512 -n 128 -r 3
done
