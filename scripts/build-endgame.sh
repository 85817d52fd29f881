#!/usr/bin/env bash
# Endgame-v0's router of specialists and the data for the unified transformer, from scratch:
#
#   scripts/build-endgame.sh [OUT_DIR]      (default runs/endgame)
#
#   1. one specialist per phase, trained on its own env with Fleet's configs (PPO, seed 1):
#      OUT/balance (CartPole-v1), OUT/bridge (BipedalWalker-v3), OUT/gap
#      (MountainCarContinuous-v0), OUT/landing (LunarLanderContinuous-v3);
#   2. OUT/router.pb (`fleet router`) and its evaluation on Endgame-v0, 100 episodes:
#      OUT/router-eval.json (success rate, per-phase returns and clear rates, handovers,
#      control effort, act time, parameters);
#   3. OUT/skill-K: EPISODES (default 200) episodes of the router with sampled actions,
#      starting at phase K (env.options.start_phase), K = 0..3; OUT/skills: all four in one
#      dataset (`fleet dataset copy`).
# A step already done (its summary.json or file exists) is not done again; an interrupted
# training run resumes from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/endgame}
fleet=${FLEET:-build/bin/fleet}
episodes=${EPISODES:-200}
mkdir -p "$out"

train() {
  local name=$1 config=$2 run="$out/$1"
  if [[ -f "$run/summary.json" ]]; then return; fi
  if [[ -d "$run/checkpoints/latest" ]]; then
    "$fleet" run --resume "$run"
  else
    rm -rf "$run"
    "$fleet" run "$config" --run-dir "$run" --set run.status_interval_s=30
  fi
}
train balance configs/cartpole_ppo.yaml
train bridge configs/bipedalwalker_ppo_zoo.yaml
train gap configs/mountaincarcontinuous_ppo.yaml
train landing configs/lunarlandercontinuous_ppo.yaml

[[ -f "$out/router.pb" ]] || "$fleet" router Endgame-v0 "$out/balance" "$out/bridge" "$out/gap" \
  "$out/landing" --out "$out/router.pb"
[[ -f "$out/router-eval.json" ]] || "$fleet" eval "$out/router.pb" --episodes 100 --actors 2 \
  --seed 1000 --json "$out/router-eval.json" > /dev/null

for k in 0 1 2 3; do
  dest="$out/skill-$k"
  if [[ ! -f "$dest/summary.json" ]]; then
    rm -rf "$dest"
    "$fleet" collect configs/endgame_collect.yaml --out "$dest" --set collect.checkpoint="$out/router.pb" \
      --set env.options.start_phase=$k --set collect.episodes="$episodes" --set run.seed=$((k + 1)) \
      --set collect.label="endgame-skill-$k" --set run.status_interval_s=30
  fi
done
if [[ ! -d "$out/skills" ]]; then
  "$fleet" dataset copy "$out"/skill-{0,1,2,3}/dataset --out "$out/skills" --label endgame-skills
fi
"$fleet" dataset info "$out/skills" | sed -n '1,3p'
