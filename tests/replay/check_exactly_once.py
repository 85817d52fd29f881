"""Checks a collected dataset with h5py (Debian's python3-h5py): every shard opens, no
half-written shard is left under a final name, and every (actor, chunk sequence) pair
holds exactly STEPS_PER_CHUNK steps (each acknowledged chunk stored once); with
infos/actor_epoch (dataset format 4) the key is (actor, epoch, sequence), so that a
restarted actor's new stream is not taken for duplicates. Prints the total
number of steps.

Also checks episodes/seed: the RNG stream of env e of actor a is seeded with
run.seed * 1000003 + a * NUM_ENVS + e (actor/actor.cc).

With --contiguous, also that each (actor, epoch) stream holds sequences 0..max without
a gap: actors send in sequence order and a store acknowledges only what it logged, so a
gap is an acknowledged chunk lost (a killed actor loses only its unacknowledged tail).

Usage: check_exactly_once.py [--contiguous] DATASET_DIR STEPS_PER_CHUNK [RUN_SEED NUM_ENVS]
"""
import glob
import os
import sys

import h5py
import numpy as np


def main(directory, steps_per_chunk, run_seed=None, num_envs=None, contiguous=False):
    problems = []
    total = 0
    pairs = {}
    shards = sorted(glob.glob(os.path.join(directory, "shard-*.h5")))
    if not shards:
        problems.append("no shards")
    for path in shards:
        try:
            with h5py.File(path, "r") as f:
                actors = f["infos/actor_id"][:].astype(np.uint64)
                seqs = f["infos/chunk_sequence"][:]
                epochs = (f["infos/actor_epoch"][:] if "infos/actor_epoch" in f
                          else np.zeros_like(seqs))
                n = f["rewards"].shape[0]
                lengths = f["episodes/length"][:]
                if lengths.sum() != n:
                    problems.append(f"{path}: episode lengths sum to {lengths.sum()}, not {n}")
                if run_seed is not None:
                    expect = (run_seed * 1000003 + f["episodes/actor_id"][:].astype(np.uint64)
                              * num_envs + f["episodes/env_index"][:])
                    if not np.array_equal(f["episodes/seed"][:], expect):
                        problems.append(f"{path}: episodes/seed does not match the actors' streams")
        except Exception as e:  # noqa: BLE001 - any failure to open is the finding
            problems.append(f"{path}: cannot be read: {e}")
            continue
        total += n
        keys, counts = np.unique(np.stack([actors, epochs.astype(np.uint64), seqs]), axis=1,
                                 return_counts=True)
        for (a, ep, s), c in zip(keys.T, counts):
            k = (int(a), int(ep), int(s))
            pairs[k] = pairs.get(k, 0) + int(c)
    wrong = {k: v for k, v in pairs.items() if v != steps_per_chunk}
    if wrong:
        k, v = next(iter(wrong.items()))
        problems.append(f"{len(wrong)} chunks not stored exactly once, e.g. actor {k[0]} "
                        f"epoch {k[1]} sequence {k[2]} has {v} steps, expected {steps_per_chunk}")
    if contiguous:
        streams = {}
        for a, ep, s in pairs:
            streams.setdefault((a, ep), set()).add(s)
        for (a, ep), seqs in sorted(streams.items()):
            missing = sorted(set(range(max(seqs) + 1)) - seqs)
            if missing:
                problems.append(f"actor {a} epoch {ep}: {len(missing)} chunks missing before its "
                                f"last stored one (sequence {missing[0]} first)")
        print(f"check_exactly_once: {len(streams)} (actor, epoch) streams checked for gaps")
    for p in problems:
        print("check_exactly_once:", p)
    print(f"check_exactly_once: {len(shards)} shards, {len(pairs)} chunks, total_steps {total}")
    return 1 if problems else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--contiguous"]
    extra = [int(a) for a in args[2:4]]
    sys.exit(main(args[0], int(args[1]), *extra, contiguous="--contiguous" in sys.argv[1:]))
