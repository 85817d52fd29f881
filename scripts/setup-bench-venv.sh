#!/usr/bin/env bash
# Creates .venv-bench: Debian's python3 with its python3-torch (the same libtorch 1.13 as
# Fleet's learner) visible, plus the reference peers benchmarks compare against, from PyPI:
# CleanRL 1.2.0's ppo.py, ppo_continuous_action.py and sac_continuous_action.py (run as the
# peers, never imported by Fleet), the gym 0.23.1 that ppo.py targets, and the gymnasium
# 0.28.1 + mujoco 2.3.3 that ppo_continuous_action.py and sac_continuous_action.py target
# (CleanRL 1.2.0 pins gymnasium>=0.28.1, mujoco<=2.3.3).
# Idempotent. Benchmarks only: the product never imports any of this.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
need=()
for p in python3-venv python3-torch python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi
[ -x $venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $venv
# gym 0.23.1's classic_control imports pygame at import time.
$venv/bin/python -c "import gym, pygame, tensorboard" 2>/dev/null ||
  $venv/bin/pip install -q "gym==0.23.1" pygame tensorboard
$venv/bin/python -c "import gymnasium, mujoco, imageio; assert gymnasium.__version__ == '0.28.1'" 2>/dev/null ||
  $venv/bin/pip install -q "gymnasium==0.28.1" "mujoco==2.3.3" "imageio<3"
# .venv-bench-sac for sac_continuous_action.py, with its own pins: gym 0.23.1 (old API)
# and Stable-Baselines3 1.2.0's replay buffer, numpy 1.23.5 and the pandas and matplotlib
# that SB3 1.2.0 imports and that run on it; gymnasium 0.28.1 + mujoco 2.3.3 for the
# MuJoCo envs (benchmarks/cleanrl_gymnasium_launch.py shows them through gym's API).
sac=.venv-bench-sac
[ -x $sac/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $sac
$sac/bin/python -c "import gym, gymnasium, mujoco, stable_baselines3, pandas, matplotlib, numpy
assert gym.__version__ == '0.23.1' and stable_baselines3.__version__ == '1.2.0'" 2>/dev/null ||
  $sac/bin/pip install -q "gym==0.23.1" pygame "gymnasium==0.28.1" "mujoco==2.3.3" "imageio<3" \
    "stable-baselines3==1.2.0" "numpy==1.23.5" "pandas<2.1" "matplotlib<3.8" tensorboard
# .venv-envpool: EnvPool, the env-speed peer (benchmarks/env_speed_vs_envpool.py), in a venv
# of its own: its wheels bring numpy 2 and Gymnasium 1.x. 1.2.5 is the newest release with
# a wheel for Debian 12's Python 3.11.
ep=.venv-envpool
[ -x $ep/bin/python ] || /usr/bin/python3 -m venv $ep
$ep/bin/python -c "import envpool; assert envpool.__version__ == '1.2.5'" 2>/dev/null ||
  $ep/bin/pip install -q "envpool==1.2.5"
if [ ! -f $venv/cleanrl/ppo.py ] || [ ! -f $venv/cleanrl/ppo_continuous_action.py ] ||
   [ ! -f $venv/cleanrl/sac_continuous_action.py ]; then
  tmp=$(mktemp -d)
  # cleanrl's wheel declares python < 3.10; only its single-file ppo.py,
  # ppo_continuous_action.py and sac_continuous_action.py are used.
  $venv/bin/pip download -q --no-deps --python-version 3.9 --only-binary=:all: -d "$tmp" cleanrl==1.2.0
  $venv/bin/python -m zipfile -e "$tmp"/cleanrl-1.2.0-py3-none-any.whl "$tmp/x"
  mkdir -p $venv/cleanrl
  cp "$tmp/x/cleanrl/ppo.py" "$tmp/x/cleanrl/ppo_continuous_action.py" \
     "$tmp/x/cleanrl/sac_continuous_action.py" $venv/cleanrl/
  rm -rf "$tmp"
fi
echo "setup-bench-venv: $venv ready (torch $($venv/bin/python -c 'import torch; print(torch.__version__)'))"
