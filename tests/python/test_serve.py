"""`fleet serve` driven from outside: OpenEnv's own client (openenv-core, over its
WebSocket /ws), `fleet.remote` and a plain HTTP client, each checked step by step against
`fleet.make` run from the same seed with the same actions.

Run: PYTHONPATH=build/python FLEET_BIN=build/bin/fleet .venv/bin/python -m unittest test_serve
"""
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import numpy as np

import fleet

FLEET = os.environ.get("FLEET_BIN", "fleet")


class Server:
    """`fleet serve ENV_ID --port 0`, its port read from the line it prints."""

    def __init__(self, env_id, *args):
        self.proc = subprocess.Popen([FLEET, "serve", env_id, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"fleet serve did not start: {line}{self.proc.stdout.read()}")
        self.url = line.split("http://")[1].split()[0]
        self.url = "http://" + self.url
        self.port = int(self.url.rsplit(":", 1)[1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        self.exit_code = self.proc.returncode
        self.output = out


def actions(env, seed):
    env.action_space.seed(seed)
    while True:
        a = env.action_space.sample()
        yield int(a) if env.action_space.is_discrete else [float(x) for x in a]


class OpenEnvClientTest(unittest.TestCase):
    """openenv-core 0.3's client speaks only WebSocket (EnvClient connects to URL/ws)."""

    def test_whole_episodes_equal_fleet_make(self):
        from openenv.core import GenericEnvClient

        for env_id, seed in [("CartPole-v1", 3), ("LunarLanderContinuous-v3", 5)]:
            with self.subTest(env=env_id), Server(env_id) as server:
                local = fleet.make(env_id)
                with GenericEnvClient(base_url=server.url).sync() as client:
                    for episode in range(2):
                        r = client.reset(seed=seed + episode)
                        obs, _ = local.reset(seed=seed + episode)
                        np.testing.assert_array_equal(
                            np.asarray(r.observation["obs"], np.float32), obs)
                        self.assertFalse(r.done)
                        steps = 0
                        for a in actions(local, seed + episode):
                            r = client.step({"action": a})
                            obs, reward, term, trunc, _ = local.step(a)
                            steps += 1
                            np.testing.assert_array_equal(
                                np.asarray(r.observation["obs"], np.float32), obs)
                            self.assertEqual(r.reward, reward)
                            self.assertEqual(r.observation["terminated"], term)
                            self.assertEqual(r.observation["truncated"], trunc)
                            self.assertEqual(r.done, term or trunc)
                            if term or trunc:
                                break
                        state = client.state()
                        self.assertEqual(state["step_count"], steps)
                        # OpenEnv's error frame becomes the client's RuntimeError
                        with self.assertRaisesRegex(RuntimeError, "RESET_NEEDED"):
                            client.step({"action": a})
                self.assertGreater(steps, 10)


    def test_an_idle_websocket_session_is_closed(self):
        from openenv.core import GenericEnvClient

        with Server("CartPole-v1", "--idle-timeout", "0.5") as server:
            with GenericEnvClient(base_url=server.url).sync() as client:
                client.reset(seed=1)
                client.step({"action": 0})
                time.sleep(2.0)
                # the server closed the connection with a close frame that says why
                with self.assertRaisesRegex(Exception, "idle too long"):
                    client.step({"action": 0})
            # the server still serves new sessions
            with GenericEnvClient(base_url=server.url).sync() as client:
                self.assertEqual(len(client.reset(seed=1).observation["obs"]), 4)


class CommandTest(unittest.TestCase):
    def test_another_host_without_a_token_is_refused(self):
        r = subprocess.run([FLEET, "serve", "CartPole-v1", "--host", "0.0.0.0", "--port", "0"],
                           capture_output=True, text=True, timeout=10,
                           env={k: v for k, v in os.environ.items() if k != "FLEET_SERVE_TOKEN"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("needs a token", r.stderr)
        r = subprocess.run([FLEET, "serve", "NoSuchEnv-v0", "--port", "0"], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NoSuchEnv-v0", r.stderr)
        r = subprocess.run([FLEET, "serve", "CartPole-v1", "--port", "0", "--set", "learner.lr=1"],
                           capture_output=True, text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("env.options.KEY only", r.stderr)


class RemoteTest(unittest.TestCase):
    def test_remote_has_fleet_make_api_and_errors(self):
        with Server("LunarLanderContinuous-v3") as server:
            env = fleet.remote(server.url)
            local = fleet.make("LunarLanderContinuous-v3")
            self.assertEqual(env.observation_space.shape, local.observation_space.shape)
            np.testing.assert_array_equal(env.action_space.low, local.action_space.low)
            self.assertEqual(env.spec.id, "LunarLanderContinuous-v3")
            self.assertEqual(env.spec.max_episode_steps, 1000)
            with self.assertRaises(fleet.ResetNeeded):
                env.step([0.0, 0.0])
            obs, info = env.reset(seed=9)
            np.testing.assert_array_equal(obs, local.reset(seed=9)[0])
            self.assertEqual(obs.dtype, np.float32)
            with self.assertRaisesRegex(ValueError, "expected an action of 2 values"):
                env.step([0.0])
            for a in actions(local, 9):
                got = env.step(np.asarray(a, np.float32))
                want = local.step(np.asarray(a, np.float32))
                np.testing.assert_array_equal(got[0], want[0])
                self.assertEqual(got[1:4], want[1:4])
                if want[2] or want[3]:
                    break
            with self.assertRaises(fleet.ResetNeeded):
                env.step([0.0, 0.0])
            env.close()

    def test_a_server_that_is_gone_is_a_connection_error(self):
        with Server("CartPole-v1") as server:
            env = fleet.remote(server.url)
            env.reset(seed=0)
        with self.assertRaises(ConnectionError):
            env.step(0)


class PlainHttpTest(unittest.TestCase):
    def post(self, url, body):
        req = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_routes_and_bad_requests(self):
        with Server("CartPole-v1") as server:
            with urllib.request.urlopen(server.url + "/health") as r:
                self.assertEqual(json.loads(r.read()), {"status": "healthy"})
            with urllib.request.urlopen(server.url + "/schema") as r:
                schema = json.loads(r.read())
            self.assertEqual(schema["spaces"]["action_space"]["n"], 2)
            self.assertEqual(schema["spaces"]["observation_space"]["shape"], [4])
            status, reply = self.post(server.url + "/reset", '{"seed": 4}')
            self.assertEqual(status, 200)
            sid = reply["session_id"]
            np.testing.assert_array_equal(np.asarray(reply["observation"]["obs"], np.float32),
                                          fleet.make("CartPole-v1").reset(seed=4)[0])
            for body, code in [('{"session_id": "%s", "action": 2}' % sid, 400),
                               ('{"session_id": "%s", "action": 0.5}' % sid, 400),
                               ('{"session_id": "%s", "action": NaN}' % sid, 400),
                               ('{"session_id": "%s", "action": "left"}' % sid, 400),
                               ('{"session_id": "nope", "action": 0}', 404),
                               ("not json", 400)]:
                with self.subTest(body=body):
                    status, reply = self.post(server.url + "/step", body)
                    self.assertEqual(status, code, reply)
                    self.assertIn("error", reply)
            status, reply = self.post(server.url + "/step", '{"session_id": "%s", "action": 1}' % sid)
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["step_count"], 1)
        self.assertEqual(server.exit_code, 0, server.output)
        self.assertIn("stopped after 1 steps", server.output)


if __name__ == "__main__":
    unittest.main()
