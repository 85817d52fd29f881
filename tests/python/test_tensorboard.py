"""A short `fleet run` writes TensorBoard event files that TensorBoard's own reader opens,
with the same values as metrics.csv. Needs tensorboard (scripts/setup-test-venv.sh) and
FLEET_BIN (the `fleet` executable; ctest sets it)."""
import csv
import os
import subprocess
import tempfile
import unittest

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


class TensorBoardTest(unittest.TestCase):
    def test_events_match_metrics_csv(self):
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        with tempfile.TemporaryDirectory() as tmp:
            run = os.path.join(tmp, "run")
            subprocess.run([os.environ["FLEET_BIN"], "run",
                            os.path.join(root, "configs", "cartpole_ppo.yaml"),
                            "--run-dir", run, "--set", "learner.total_env_steps=20000"],
                           check=True, stdout=subprocess.DEVNULL)
            acc = EventAccumulator(run)
            acc.Reload()
            tags = acc.Tags()["scalars"]
            for tag in ("charts/mean_return_100", "charts/mean_length_100", "charts/SPS",
                        "charts/policy_lag", "losses/policy_loss", "losses/value_loss",
                        "losses/entropy", "losses/approx_kl", "losses/clipfrac",
                        "losses/explained_variance"):
                self.assertIn(tag, tags)
            with open(os.path.join(run, "metrics.csv")) as f:
                rows = list(csv.DictReader(f))
            loss = acc.Scalars("losses/value_loss")
            self.assertEqual(len(loss), len(rows))
            for event, row in zip(loss, rows):
                self.assertEqual(event.step, int(float(row["env_steps"])))
                self.assertAlmostEqual(event.value, float(row["value_loss"]), places=3)


if __name__ == "__main__":
    unittest.main()
