"""A recording killed with SIGKILL (store, actors and orchestrator: nothing sealed) leaves
sealed shards and the open shard's write-ahead log. `fleet dataset verify` reports the log;
`fleet dataset recover` seals it, and then every actor's chunk sequences are 0..K, each
once with all its steps (read back with h5py). With 16 bytes of the log overwritten,
verify fails naming the damage, recover exits 65, keeps the damaged log, and saves the
chunks after the damage: exactly one chunk is missing.
Needs FLEET_BIN (ctest sets it) and h5py."""
import glob
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
STEPS_PER_CHUNK, NUM_ENVS = 32, 4


def fleet(*args):
    return subprocess.run([os.environ["FLEET_BIN"], *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def chunks(dataset):
    """{(actor, sequence): steps} over the sealed shards."""
    out = {}
    for path in sorted(glob.glob(os.path.join(dataset, "shard-*.h5"))):
        with h5py.File(path, "r") as f:
            pairs = np.stack([f["infos/actor_id"][:].astype(np.int64),
                              f["infos/chunk_sequence"][:].astype(np.int64)], axis=1)
        keys, counts = np.unique(pairs, axis=0, return_counts=True)
        for (a, s), n in zip(keys, counts):
            out[(int(a), int(s))] = out.get((int(a), int(s)), 0) + int(n)
    return out


def record_offsets(data):
    """Start of every whole record of a log (sync u32, length u32, crc u32, type u8,
    payload); a torn last record is left out."""
    out, pos = [], 0
    while pos + 13 <= len(data):
        end = pos + 12 + struct.unpack_from("<I", data, pos + 4)[0]
        if end > len(data):
            break
        out.append(pos)
        pos = end
    return out


class DatasetRecoverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        run = os.path.join(cls.tmp, "run")
        proc = subprocess.Popen(
            [os.environ["FLEET_BIN"], "collect",
             os.path.join(ROOT, "configs", "cartpole_random_collect.yaml"), "--out", run,
             "--set", "collect.episodes=100000000", "--set", "store.shard_max_steps=20000",
             "--set", f"env.num_envs={NUM_ENVS}", "--set", f"actors.steps_per_chunk={STEPS_PER_CHUNK}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        cls.dataset = os.path.join(run, "dataset")
        deadline = time.time() + 60
        # at least one sealed shard and a log with a few chunks in it
        while time.time() < deadline:
            logs = glob.glob(os.path.join(cls.dataset, "wal-*.log"))
            if (glob.glob(os.path.join(cls.dataset, "shard-*.h5")) and logs
                    and os.path.getsize(logs[0]) > 200_000):
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.2)  # the children die with the group

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy(self, name):
        out = os.path.join(self.tmp, name)
        shutil.copytree(self.dataset, out)
        return out

    def test_recover_seals_every_logged_chunk(self):
        ds = self.copy("clean")
        before = chunks(ds)
        v = fleet("dataset", "verify", ds)
        self.assertEqual(v.returncode, 0, v.stdout)
        self.assertIn("not in a sealed shard yet", v.stdout)
        r = fleet("dataset", "recover", ds)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("chunk(s) replayed from the log", r.stdout)
        after = chunks(ds)
        self.assertGreater(len(after), len(before))
        for actor in {a for a, _ in after}:
            seqs = sorted(s for a, s in after if a == actor)
            self.assertEqual(seqs, list(range(len(seqs))), f"actor {actor}: gaps")
        self.assertTrue(all(n == STEPS_PER_CHUNK * NUM_ENVS for n in after.values()))
        v = fleet("dataset", "verify", ds)
        self.assertEqual(v.returncode, 0, v.stdout)
        self.assertNotIn("not in a sealed shard yet", v.stdout)

    def test_damage_inside_the_log_is_loud_and_loses_only_that_chunk(self):
        ds = self.copy("damaged")
        before = chunks(ds)
        log = glob.glob(os.path.join(ds, "wal-*.log"))[0]
        with open(log, "rb") as f:
            data = bytearray(f.read())
        at = record_offsets(data)
        self.assertGreaterEqual(len(at), 4)
        middle = at[len(at) // 2]
        data[middle + 40:middle + 56] = b"\x5a" * 16
        with open(log, "wb") as f:
            f.write(data)
        v = fleet("dataset", "verify", ds)
        self.assertEqual(v.returncode, 1, v.stdout)
        self.assertIn("damaged inside", v.stdout)
        r = fleet("dataset", "recover", ds)
        self.assertEqual(r.returncode, 65, r.stdout)
        self.assertIn("DATA LOSS", r.stdout)
        self.assertTrue(os.path.exists(log + ".damaged"))
        after = chunks(ds)
        # every chunk record of the log (all records but the checkpoint) except the
        # damaged one: the ones after it were saved
        self.assertEqual(len(after) - len(before), len(at) - 2)
        missing = []
        for actor in {a for a, _ in after}:
            seqs = sorted(s for a, s in after if a == actor)
            missing += [(actor, s) for s in range(seqs[-1] + 1) if (actor, s) not in after]
        self.assertEqual(len(missing), 1, missing)
        # the damaged log stays a finding until the user removes it
        self.assertEqual(fleet("dataset", "verify", ds).returncode, 1)


if __name__ == "__main__":
    unittest.main()
