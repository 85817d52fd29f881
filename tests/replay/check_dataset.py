"""Opens a Fleet HDF5 shard with h5py and checks its D4RL layout and episode index.

Usage: check_dataset.py SHARD.h5   (exit 0 when consistent, 1 with a message otherwise)
"""
import json
import sys

import h5py
import numpy as np


def main(path):
    problems = []
    with open(path + ".json") as m:
        manifest = json.load(m)  # Python's json reads the Infinity bounds of the spaces
    with h5py.File(path, "r") as f:
        n = f["rewards"].shape[0]
        # the optional columns are the ones the manifest declares, no more, no fewer.
        for key in ("infos/logprob", "infos/value"):
            if (key in f) != (key in manifest["optional_columns"]):
                problems.append(f"{key}: in file {key in f}, declared {key in manifest['optional_columns']}")
        for key in ["observations", "actions", "rewards", "terminals", "timeouts",
                    "infos/policy_version", "infos/actor_id"] + manifest["optional_columns"]:
            if key not in f:
                problems.append(f"missing dataset {key}")
            elif f[key].shape[0] != n:
                problems.append(f"{key} has {f[key].shape[0]} rows, rewards has {n}")
        start = f["episodes/start"][:]
        length = f["episodes/length"][:]
        ret = f["episodes/return"][:]
        if n == 0 or len(start) == 0:
            problems.append("no steps or no episodes recorded")
        if not np.array_equal(start, np.concatenate([[0], np.cumsum(length)[:-1]])):
            problems.append("episodes are not contiguous")
        if length.sum() != n:
            problems.append(f"episode lengths sum to {length.sum()}, not {n}")
        ends = (f["terminals"][:] | f["timeouts"][:]).astype(bool)
        if not np.array_equal(np.flatnonzero(ends), start + length - 1):
            problems.append("episode ends do not match terminals/timeouts")
        rewards = f["rewards"][:]
        sums = np.add.reduceat(rewards, start) if len(start) else []
        if not np.allclose(sums, ret, atol=1e-3):
            problems.append("episode returns do not match rewards")
        if not np.all(np.isfinite(f["observations"][:])):
            problems.append("non-finite observations")
    if manifest["total_steps"] != n:
        problems.append(f"manifest total_steps {manifest['total_steps']} != {n}")
    for p in problems:
        print("check_dataset:", p)
    print(f"check_dataset: {n} steps, {len(start)} episodes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
