#!/usr/bin/env bash
# Creates .venv for the Python tests: Debian's python3 (the one the bindings are built
# for) with its numpy and h5py visible, plus Gymnasium from PyPI as the reference the
# alignment tests compare Fleet's envs with. Idempotent. Tests only: Fleet never imports
# gymnasium.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
[ -x $venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $venv
# gymnasium[box2d] brings pybox2d and pygame (its Box2D module imports both);
# gymnasium[mujoco] the mujoco bindings its locomotion envs run on.
if ! $venv/bin/python -c "import gymnasium, Box2D, pygame, mujoco" 2>/dev/null; then
  $venv/bin/pip install -q --disable-pip-version-check "gymnasium[box2d,mujoco]>=1.0"
fi
# tensorboard: the independent reader of Fleet's event files.
$venv/bin/python -c "import tensorboard" 2>/dev/null ||
  $venv/bin/pip install -q --disable-pip-version-check tensorboard
# minari: loads datasets exported with `fleet dataset export --format minari`.
$venv/bin/python -c "import minari" 2>/dev/null ||
  $venv/bin/pip install -q --disable-pip-version-check "minari[hdf5]==0.5.4"
# kubernetes-validate: Kubernetes' own schemas for the manifests of `fleet k8s render`.
$venv/bin/python -c "import kubernetes_validate" 2>/dev/null ||
  $venv/bin/pip install -q --disable-pip-version-check "kubernetes-validate==1.31.0"
# openenv-core: OpenEnv's own client, which tests drive `fleet serve` with.
$venv/bin/python -c "import openenv.core" 2>/dev/null ||
  $venv/bin/pip install -q --disable-pip-version-check "openenv-core==0.3.0"
echo "setup-test-venv: $venv ready (gymnasium $($venv/bin/python -c 'import gymnasium; print(gymnasium.__version__)'))"

# .venv-sb3: Stable-Baselines3 for test_sb3_interop, apart from .venv because SB3 2.4.1, the
# last release that runs on Debian's torch 1.13 (python3-torch; later ones need torch 2.x
# from PyPI, gigabytes), wants gymnasium < 1.1 and numpy < 2 (Debian's torch is built for
# numpy 1.x). Debian's numpy is pinned as a constraint. SB3 goes in with --no-deps: Debian's
# torch calls itself 1.13.0a0, below SB3's torch>=1.13, and pip would fetch PyPI's instead;
# its other requirements are installed by name. Without python3-torch (not root, no apt)
# the venv is not made and test_sb3_interop skips.
sb3=.venv-sb3
if ! /usr/bin/python3 -c "import torch" 2>/dev/null && command -v apt-get >/dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo -n)
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends python3-torch ||
      { "${sudo_cmd[@]}" apt-get update -q &&
        "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends python3-torch; } || true
  fi
fi
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  [ -x $sb3/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $sb3
  if ! $sb3/bin/python -c "import stable_baselines3, pandas, matplotlib" 2>/dev/null; then
    constraints=$(mktemp)
    /usr/bin/python3 -c "import numpy; print('numpy==' + numpy.__version__)" >"$constraints"
    # optional: a failed install leaves the other tests be (the next run tries again)
    $sb3/bin/pip install -q --disable-pip-version-check -c "$constraints" \
      "gymnasium==1.0.0" cloudpickle pandas matplotlib &&
      $sb3/bin/pip install -q --disable-pip-version-check --no-deps "stable-baselines3==2.4.1" ||
      echo "setup-test-venv: installing Stable-Baselines3 failed: test_sb3_interop skips"
    rm -f "$constraints"
  fi
  $sb3/bin/python -c "import stable_baselines3 as s, torch as t
print(f'setup-test-venv: $sb3 ready (stable-baselines3 {s.__version__}, torch {t.__version__})')" ||
    true
else
  echo "setup-test-venv: no python3-torch (as root: apt-get install python3-torch):" \
    "$sb3 not made, test_sb3_interop skips"
fi
