#!/usr/bin/env bash
# Rebuilds Fleet's D4RL-style datasets from scratch, made by Fleet's own PPO policies:
#
#   scripts/build-d4rl-datasets.sh [OUT_DIR]      (default datasets/; ENVS="hopper ..." to pick)
#
# For each env (hopper, halfcheetah, walker2d, lunarlandercontinuous):
#   1. trains PPO with its config, recording every step (store.record) and keeping the
#      policy every few updates (learner.policy_snapshot_every): OUT/runs/ENV-ppo;
#   2. evaluates every kept policy and the final one (`fleet eval`, 10 episodes, sampled
#      actions as in the data): expert = the best; medium = the one closest to 0.4 x the
#      expert's return within a third to a half of it (else closest to 0.4 x, with a warning);
#   3. OUT/ENV-medium, OUT/ENV-expert: 1M steps of each (`fleet collect`, sampled actions;
#      the manifests name the policy and its evaluated return);
#      OUT/ENV-medium-replay: the training run's recording up to the medium policy's version
#      (`fleet dataset copy --max-policy-version`);
#      OUT/ENV-medium-expert: medium and expert together (`fleet dataset copy`).
# OUT/summary.tsv lists what was chosen. STEPS (default 1000000) sets the collected steps,
# TRAIN_STEPS (default: the config's 1M) the training run's. A step already done (its
# summary.json or folder exists) is not done again and an interrupted training run resumes
# from its last checkpoint, so an interrupted build continues.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-datasets}
fleet=${FLEET:-build/bin/fleet}
envs=${ENVS:-"hopper halfcheetah walker2d lunarlandercontinuous"}
steps=${STEPS:-1000000}
train=()
[[ -n "${TRAIN_STEPS:-}" ]] && train=(--set learner.total_env_steps="$TRAIN_STEPS")
mkdir -p "$out/runs"

config_of() {
  case $1 in
    hopper) echo "configs/hopper_ppo_cleanrl.yaml Hopper-v5 10" ;;
    halfcheetah) echo "configs/halfcheetah_ppo_zoo.yaml HalfCheetah-v5 40" ;;
    walker2d) echo "configs/walker2d_ppo_zoo.yaml Walker2d-v5 40" ;;
    lunarlandercontinuous) echo "configs/lunarlandercontinuous_ppo.yaml LunarLanderContinuous-v3 5" ;;
    *) echo "unknown env name '$1'" >&2; return 1 ;;
  esac
}

# the stochastic policy's mean return over 10 episodes (episode seeds 1000..1009).
evaluate() {
  "$fleet" eval "$1" --env "$2" --episodes 10 --seed 1000 |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["stochastic"]["mean"])'
}

# summary.tsv keeps the rows of envs not rebuilt now (ENVS=hopper leaves the others' rows).
if [[ -f "$out/summary.tsv" ]]; then
  awk -F'\t' -v envs=" $envs " 'NR == 1 || index(envs, " " $1 " ") == 0' "$out/summary.tsv" > "$out/summary.tsv.tmp"
  mv "$out/summary.tsv.tmp" "$out/summary.tsv"
else
  printf "env\tpolicy\tversion\tevaluated_return\tdataset\n" > "$out/summary.tsv"
fi
for name in $envs; do
  read -r config env_id every <<< "$(config_of "$name")"
  run="$out/runs/$name-ppo"
  if [[ ! -f "$run/summary.json" && -d "$run/checkpoints/latest" ]]; then
    "$fleet" run --resume "$run"   # an interrupted training run continues from its checkpoint
  elif [[ ! -f "$run/summary.json" ]]; then
    rm -rf "$run"
    "$fleet" run "$config" --run-dir "$run" --set store.record=true \
      --set learner.policy_snapshot_every="$every" --set run.status_interval_s=30 "${train[@]}"
  fi
  cp "$run/checkpoints/final_policy.pb" "$run/checkpoints/policy-final.pb"
  evals="$run/evaluations.tsv"
  if [[ ! -f "$evals" ]]; then
    : > "$evals.tmp"
    for pb in "$run"/checkpoints/policy-*.pb; do
      version=$(basename "$pb" .pb | sed 's/policy-v0*//; s/policy-//')
      [[ "$version" == final ]] && version=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["policy_version"])' "$run/summary.json")
      [[ -z "$version" ]] && version=0
      printf "%s\t%s\t%s\n" "$pb" "$version" "$(evaluate "$pb" "$env_id")" >> "$evals.tmp"
    done
    mv "$evals.tmp" "$evals"
  fi
  # expert: the best; medium: closest to 0.4 x expert, preferably within [1/3, 1/2] of it.
  read -r expert expert_v expert_r medium medium_v medium_r <<< "$(/usr/bin/python3 - "$evals" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
rows = [(p, int(v), float(r)) for p, v, r in rows]
expert = max(rows, key=lambda x: x[2])
band = [x for x in rows if expert[2] / 3 <= x[2] <= expert[2] / 2]
pool = band or rows
if not band:
    print("warning: no policy within a third to a half of the expert's return", file=sys.stderr)
medium = min(pool, key=lambda x: abs(x[2] - 0.4 * expert[2]))
print(*expert, *medium)
PY
)"
  echo "$name: expert $expert (v$expert_v, $expert_r), medium $medium (v$medium_v, $medium_r)"
  for kind in medium expert; do
    pb_var=$kind; v_var=${kind}_v; r_var=${kind}_r
    dest="$out/$name-$kind"
    seed=$([[ $kind == medium ]] && echo 2 || echo 3)
    if [[ ! -f "$dest/summary.json" ]]; then
      rm -rf "$dest"
      "$fleet" collect "$config" --out "$dest" --set collect.policy=checkpoint \
        --set collect.checkpoint="${!pb_var}" --set collect.steps="$steps" \
        --set collect.label="$name-$kind" --set collect.evaluated_return="${!r_var}" \
        --set collect.evaluated_episodes=10 --set run.seed="$seed" --set actors.count=2 \
        --set env.num_envs=4 --set actors.steps_per_chunk=256 --set run.status_interval_s=30
    fi
    printf "%s\t%s\t%s\t%s\t%s\n" "$name" "${!pb_var}" "${!v_var}" "${!r_var}" "$dest/dataset" >> "$out/summary.tsv"
  done
  if [[ ! -d "$out/$name-medium-replay" ]]; then
    "$fleet" dataset copy "$run/dataset" --out "$out/$name-medium-replay" \
      --max-policy-version "$medium_v" --label "$name-medium-replay"
  fi
  if [[ ! -d "$out/$name-medium-expert" ]]; then
    "$fleet" dataset copy "$out/$name-medium/dataset" "$out/$name-expert/dataset" \
      --out "$out/$name-medium-expert" --label "$name-medium-expert"
  fi
  for d in medium medium-replay expert medium-expert; do
    path="$out/$name-$d"; [[ -d "$path/dataset" ]] && path="$path/dataset"
    "$fleet" dataset info "$path" | sed -n '1,3p'
  done
done
