"""The peer `fleet serve` is measured against (issue 16): the pattern OpenEnv-style projects
use, a FastAPI app served by uvicorn that wraps Gymnasium's env, one env per session, with
pydantic request models. It speaks fleet serve's HTTP routes (reset/step/close with a
session_id, /schema with the spaces) so one load generator (serve_bench) drives both.

  .venv/bin/python benchmarks/serve_reference.py ENV_ID --port P

Benchmark only: Fleet never imports this.
"""
import argparse
import math
import uuid
from typing import Any, Optional

import gymnasium as gym
import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class ResetRequest(BaseModel):
    seed: Optional[int] = None
    session_id: Optional[str] = None


class StepRequest(BaseModel):
    session_id: str
    action: Any


class CloseRequest(BaseModel):
    session_id: str


def space_json(space):
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "dtype": "int64", "start": int(space.start), "n": int(space.n)}
    bound = lambda a: [None if not math.isfinite(x) else float(x) for x in a.ravel()]
    return {"type": "Box", "dtype": str(space.dtype), "shape": list(space.shape),
            "low": bound(space.low), "high": bound(space.high)}


def make_app(env_id):
    app = FastAPI()
    sessions = {}
    probe = gym.make(env_id)

    def observation(obs, reward, terminated, truncated, session_id):
        return {"observation": {"obs": np.asarray(obs, np.float32).tolist(),
                                "terminated": bool(terminated), "truncated": bool(truncated)},
                "reward": reward, "done": bool(terminated or truncated),
                "session_id": session_id}

    @app.get("/health")
    def health():
        return {"status": "healthy"}

    @app.get("/metadata")
    def metadata():
        return {"name": env_id, "description": "Gymnasium " + gym.__version__}

    @app.get("/schema")
    def schema():
        return {"spaces": {"observation_space": space_json(probe.observation_space),
                           "action_space": space_json(probe.action_space),
                           "max_episode_steps": probe.spec.max_episode_steps,
                           "reward_threshold": probe.spec.reward_threshold}}

    @app.post("/reset")
    def reset(req: ResetRequest):
        sid = req.session_id or uuid.uuid4().hex
        env = sessions.get(sid)
        if env is None:
            env = sessions[sid] = gym.make(env_id)
        obs, _ = env.reset(seed=req.seed)
        return observation(obs, None, False, False, sid)

    @app.post("/step")
    def step(req: StepRequest):
        env = sessions.get(req.session_id)
        if env is None:
            raise HTTPException(404, "unknown session")
        a = req.action
        if isinstance(env.action_space, gym.spaces.Discrete):
            a = int(a[0] if isinstance(a, list) else a)
        else:
            a = np.asarray(a, np.float32)
        obs, reward, terminated, truncated, _ = env.step(a)
        return observation(obs, float(reward), terminated, truncated, req.session_id)

    @app.post("/close")
    def close(req: CloseRequest):
        sessions.pop(req.session_id, None)
        return {"closed": req.session_id}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("env_id")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(make_app(args.env_id), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)
