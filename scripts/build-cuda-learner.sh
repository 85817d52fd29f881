#!/usr/bin/env bash
# Builds the libtorch parts of Fleet (fleet-learner, ppo_update_bench, fleet_learner_tests)
# against a CUDA libtorch instead of Debian's CPU libtorch 1.13.
#
#   scripts/build-cuda-learner.sh [TORCH_DIR] [BUILD_DIR]
#
# TORCH_DIR is a folder holding lib/, include/ and share/cmake/Torch, e.g. a PyTorch
# installation's site-packages/torch. Without it, the PyTorch wheel named by
# FLEET_TORCH_WHEEL (default torch==2.11.0, a CUDA 13.0 build) is downloaded from PyPI
# into BUILD_DIR/torch and unpacked there; nothing is installed system-wide.
#
# PyTorch wheels ship their own protobuf and fmt headers in include/, which would shadow
# Debian's (Fleet's protobuf messages and spdlog need those), so they are left out of the
# unpacked copy; for a TORCH_DIR given by the caller, pass a copy without
# include/google and include/fmt. The CUDA libraries PyTorch loads at run time (cuBLAS,
# cuDNN, NCCL, NVSHMEM from the nvidia-* wheels) need not be present at link time.
# No GPU is needed to build; running on one needs the same PyTorch version's lib/ on
# LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_dir=${1:-}
build=${2:-build-cuda}
arch=${TORCH_CUDA_ARCH_LIST:-9.0}

if [[ -z "$torch_dir" ]]; then
  wheel_spec=${FLEET_TORCH_WHEEL:-torch==2.11.0}
  torch_dir=$build/torch/torch
  if [[ ! -f "$torch_dir/share/cmake/Torch/TorchConfig.cmake" ]]; then
    mkdir -p "$build/torch"
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --platform manylinux_2_28_x86_64 -d "$build/torch" "$wheel_spec"
    wheel=$(ls "$build"/torch/torch-*.whl | head -1)
    (cd "$build/torch" && python3 -m zipfile -e "$(basename "$wheel")" . >/dev/null)
    rm -rf "$torch_dir/include/google" "$torch_dir/include/fmt" "$wheel"
  fi
fi
torch_dir=$(cd "$torch_dir" && pwd)
echo "libtorch: $torch_dir ($(grep -o "__version__ = '[^']*'" "$torch_dir/version.py" 2>/dev/null || echo unknown))"

TORCH_CUDA_ARCH_LIST=$arch cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_dir" -DFLEET_BUILD_PYTHON=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--allow-shlib-undefined" \
  -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST
cmake --build "$build" -j"$(nproc)" --target fleet fleet-learner ppo_update_bench fleet_learner_tests
echo "built: $build/bin/fleet-learner $build/benchmarks/ppo_update_bench $build/tests/fleet_learner_tests"
