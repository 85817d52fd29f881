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
