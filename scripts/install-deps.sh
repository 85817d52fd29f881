#!/usr/bin/env bash
# Installs Fleet's build and test dependencies from Debian 12's packages.
# Idempotent: packages already present are skipped, and apt is not touched when nothing
# is missing. libqhull-dev and the OpenGL -dev packages: Debian's MuJoCo CMake package
# lists qhull's include directory and finds OpenGL (a minimal Debian 12 has neither; found
# by building the container image, scripts/build-image.sh). Run as root, or with sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-pthread
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libbox2d-dev libmujoco-dev libqhull-dev libgl-dev libopengl-dev libglx-dev
  libeigen3-dev libspdlog-dev libhdf5-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-numpy python3-h5py python3-venv
)
# the Slurm test cluster (tests/cluster/): controller, node daemon, clients, munge; the test
# starts its own daemons. FLEET_NO_TEST_CLUSTER=1 leaves them out (the container image).
if [ "${FLEET_NO_TEST_CLUSTER:-0}" != 1 ]; then
  packages+=(slurmctld slurmd slurm-client munge iproute2 util-linux)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
