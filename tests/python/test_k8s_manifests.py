"""`fleet k8s render` writes manifests that Kubernetes' own schemas accept: every object of
a CartPole run (CPU), a HalfCheetah run with a CUDA learner and a Decision Transformer's
train-offline, validated with kubernetes-validate (strict: unknown fields are errors)
against Kubernetes 1.31 (native sidecars, restartPolicy on init containers, are GA from
1.29 on). Needs kubernetes-validate (scripts/setup-test-venv.sh) and FLEET_BIN."""
import os
import subprocess
import tempfile
import unittest

import kubernetes_validate
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
K8S_VERSION = "1.31.0"


def render(config, *args):
    return subprocess.run([os.environ["FLEET_BIN"], "k8s", "render",
                           os.path.join(ROOT, "configs", config), *args],
                          check=True, stdout=subprocess.PIPE, text=True).stdout


class K8sManifestsTest(unittest.TestCase):
    def check(self, text, expected_kinds):
        docs = [d for d in yaml.safe_load_all(text) if d]
        self.assertEqual(sorted(d["kind"] for d in docs), sorted(expected_kinds))
        for d in docs:
            with self.subTest(kind=d["kind"], name=d["metadata"]["name"]):
                # raises ValidationError naming the field on failure
                kubernetes_validate.validate(d, K8S_VERSION, strict=True)
        return docs

    def test_cpu_run(self):
        docs = self.check(render("cartpole_ppo.yaml", "--set", "actors.count=3"),
                          ["ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Job", "Job"])
        actors = next(d for d in docs if d["metadata"]["name"].endswith("-actors"))
        self.assertEqual(actors["spec"]["completions"], 3)

    def test_gpu_run(self):
        docs = self.check(render("halfcheetah_ppo_gpu.yaml", "--set", "k8s.image=registry.example/fleet:1",
                                 "--set", "learner.device=cuda"),
                          ["ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Job", "Job"])
        head = next(d for d in docs if d["metadata"]["name"].endswith("-head") and d["kind"] == "Job")
        learner = head["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(learner["resources"]["limits"]["nvidia.com/gpu"], 1)

    def test_train_offline(self):
        self.check(render("hopper_dt.yaml", "--command", "train-offline",
                          "--set", "learner.dataset=/fleet/run/dataset"),
                   ["ConfigMap", "Secret", "PersistentVolumeClaim", "Job"])

    def test_validator_rejects_a_broken_manifest(self):
        # the check can fail: a misspelt field in an otherwise rendered Job
        docs = [d for d in yaml.safe_load_all(render("cartpole_ppo.yaml")) if d]
        job = next(d for d in docs if d["kind"] == "Job")
        job["spec"]["template"]["spec"]["containers"][0]["comand"] = ["x"]
        with self.assertRaises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(job, K8S_VERSION, strict=True)

    def test_writes_a_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run.yaml")
            subprocess.run([os.environ["FLEET_BIN"], "k8s", "render",
                            os.path.join(ROOT, "configs", "cartpole_ppo.yaml"), "--out", out],
                           check=True, stdout=subprocess.PIPE)
            with open(out) as f:
                self.assertEqual(len([d for d in yaml.safe_load_all(f) if d]), 6)


if __name__ == "__main__":
    unittest.main()
