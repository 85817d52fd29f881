"""A reference Decision Transformer in Python PyTorch, to set beside Fleet's (learner/
decision_transformer.h) on the same dataset: the official gym code's model and recipe
(Chen et al. 2021; kzl/decision-transformer gym/experiment.py), written here as a single
file in the manner of CORL's dt.py: GPT-2 blocks without position embeddings, (R, s, a)
tokens with a timestep embedding, 3 layers, 1 head, embedding 128, K 20, dropout 0.1,
ReLU MLP, AdamW lr 1e-4 / weight decay 1e-4, 10k linear warm-up, batch 64, gradient clip
0.25, returns-to-go / 1000, states normalized with the dataset's statistics, windows drawn
with probability proportional to episode length and padded at the front.

It reads Fleet's HDF5 shards with h5py and evaluates in Fleet's own env through the Python
bindings (`import fleet`), one env at a time as the official evaluate_episode_rtg does.

Usage (Debian's python3 with python3-torch and python3-h5py, the bindings on PYTHONPATH):
  PYTHONPATH=build/python /usr/bin/python3 benchmarks/dt_reference.py DATASET --env Hopper-v5 \\
      --steps 200 [--eval 10 --eval-seed 1000] [--target-return R] [--threads 1] [--log-every 1000]
Prints one JSON line: median milliseconds per training step (after 5 warm-up steps), the
final loss, and with --eval the mean return and episodes per second.
"""
import argparse
import glob
import json
import math
import os
import sys
import time

# OpenBLAS sizes its own thread pool by the cores, whatever torch.set_num_threads says (as
# Fleet's learner, one BLAS thread unless told otherwise).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(path):
    files = sorted(glob.glob(os.path.join(path, "shard-*.h5"))) if os.path.isdir(path) else [path]
    trajs = []
    for f in files:
        with h5py.File(f, "r") as h:
            obs, act, rew = h["observations"][:], h["actions"][:], h["rewards"][:]
            for s, n in zip(h["episodes/start"][:], h["episodes/length"][:]):
                trajs.append((obs[s:s + n], act[s:s + n].astype(np.float32).reshape(n, -1),
                              rew[s:s + n]))
    states = np.concatenate([t[0] for t in trajs])
    return trajs, states.mean(0), states.std(0) + 1e-6


class Block(nn.Module):
    def __init__(self, h, heads, dropout):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
        self.qkv, self.proj = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.fc, self.fc_proj = nn.Linear(h, 4 * h), nn.Linear(4 * h, h)
        self.drop = nn.Dropout(dropout)
        self.heads = heads

    def forward(self, x, bias):
        b, t, h = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        att = self.drop(torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(h // self.heads) + bias, -1))
        x = x + self.drop(self.proj((att @ v).transpose(1, 2).reshape(b, t, h)))
        return x + self.drop(self.fc_proj(F.relu(self.fc(self.ln2(x)))))


class DT(nn.Module):
    def __init__(self, state_dim, act_dim, h=128, layers=3, heads=1, dropout=0.1, max_ep_len=1000):
        super().__init__()
        self.embed_timestep = nn.Embedding(max_ep_len, h)
        self.embed_return, self.embed_state = nn.Linear(1, h), nn.Linear(state_dim, h)
        self.embed_action = nn.Linear(act_dim, h)
        self.embed_ln, self.ln_f = nn.LayerNorm(h), nn.LayerNorm(h)
        self.blocks = nn.ModuleList([Block(h, heads, dropout) for _ in range(layers)])
        for b in self.blocks:  # GPT-2's initialization of its blocks
            for lin in (b.qkv, b.fc):
                nn.init.normal_(lin.weight, 0.0, 0.02)
                nn.init.zeros_(lin.bias)
            for lin in (b.proj, b.fc_proj):
                nn.init.normal_(lin.weight, 0.0, 0.02 / math.sqrt(2 * layers))
                nn.init.zeros_(lin.bias)
        self.predict_action = nn.Linear(h, act_dim)
        self.drop, self.h = nn.Dropout(dropout), h

    def forward(self, s, a, r, t, mask):
        b, k = s.shape[:2]
        time_emb = self.embed_timestep(t)
        x = torch.stack([self.embed_return(r.unsqueeze(-1)) + time_emb, self.embed_state(s) + time_emb,
                         self.embed_action(a) + time_emb], 2).reshape(b, 3 * k, self.h)
        x = self.drop(self.embed_ln(x))
        causal = torch.ones(3 * k, 3 * k).tril()
        keys = mask.repeat_interleave(3, 1)
        bias = (1 - causal) * -1e9 + (1 - keys[:, None, None, :]) * -1e9
        for blk in self.blocks:
            x = blk(x, bias)
        return torch.tanh(self.predict_action(self.ln_f(x).view(b, k, 3, self.h)[:, :, 1]))


def batch(trajs, lengths, mean, std, k, size, rng, scale, max_ep_len, low, high):
    p = lengths / lengths.sum()
    d, a_dim = trajs[0][0].shape[1], trajs[0][1].shape[1]
    s, a, r, t, m = (np.zeros((size, k, d), np.float32), np.zeros((size, k, a_dim), np.float32),
                     np.zeros((size, k), np.float32), np.zeros((size, k), np.int64), np.zeros((size, k), np.float32))
    for i, j in enumerate(rng.choice(len(trajs), size=size, p=p)):
        obs, act, rew = trajs[j]
        si = rng.integers(0, len(rew))
        n = min(k, len(rew) - si)
        rtg = np.cumsum(rew[si:][::-1])[::-1][:n]
        s[i, k - n:] = (obs[si:si + n] - mean) / std
        a[i, k - n:] = np.clip(act[si:si + n], low, high)
        r[i, k - n:] = rtg / scale
        t[i, k - n:] = np.minimum(np.arange(si, si + n), max_ep_len - 1)
        m[i, k - n:] = 1
    return [torch.from_numpy(x) for x in (s, a, r, t, m)]


def evaluate(model, env_id, episodes, target, mean, std, k, scale, first_seed):
    import fleet  # Fleet's own env, through its Python bindings
    env = fleet.make(env_id)
    returns, t0, actions_taken = [], time.time(), 0
    model.eval()
    for e in range(episodes):
        obs, _ = env.reset(seed=first_seed + e)
        states, actions, rtgs, steps, total = [], [], [], [], 0.0
        rtg, done, step = target / scale, False, 0
        while not done:
            states.append((obs - mean) / std)
            actions.append(np.zeros(env.action_space.shape[0], np.float32))
            rtgs.append(rtg)
            steps.append(min(step, 999))
            ctx = slice(-k, None)
            with torch.no_grad():
                act = model(torch.tensor(np.array(states[ctx]), dtype=torch.float32)[None],
                            torch.tensor(np.array(actions[ctx]))[None],
                            torch.tensor(rtgs[ctx], dtype=torch.float32)[None],
                            torch.tensor(steps[ctx])[None], torch.ones(1, len(steps[ctx])))[0, -1].numpy()
            actions[-1] = act
            obs, reward, term, trunc, _ = env.step(act)
            total += reward
            actions_taken += 1
            rtg -= reward / scale
            step += 1
            done = term or trunc
        returns.append(total)
    seconds = time.time() - t0
    return returns, episodes / seconds, actions_taken / seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--env", default="Hopper-v5")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--eval", type=int, default=0)
    ap.add_argument("--target-return", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-seed", type=int, default=0,
                    help="episode i of the evaluation resets with seed eval_seed + i "
                         "(1000 matches `fleet eval --seed 1000`)")
    ap.add_argument("--log-every", type=int, default=0,
                    help="print the step, loss and elapsed seconds to stderr every N steps")
    ap.add_argument("--save", default="", help="write the trained model's state_dict here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    trajs, mean, std = load(args.dataset)
    lengths = np.array([len(t[2]) for t in trajs], np.float64)
    d, a_dim = trajs[0][0].shape[1], trajs[0][1].shape[1]
    model = DT(d, a_dim)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min((step + 1) / 10000, 1))
    k, scale = 20, 1000.0
    times, loss, start = [], float("nan"), time.perf_counter()
    model.train()
    for step in range(args.steps):
        s, a, r, t, m = batch(trajs, lengths, mean, std, k, 64, rng, scale, 1000, -1.0, 1.0)
        t0 = time.perf_counter()
        pred = model(s, a, r, t, m)
        keep = m.reshape(-1) > 0
        loss = ((pred.reshape(-1, a_dim)[keep] - a.reshape(-1, a_dim)[keep]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        sched.step()
        times.append(time.perf_counter() - t0)
        if args.log_every and (step + 1) % args.log_every == 0:
            print(json.dumps({"step": step + 1, "loss": float(loss),
                              "seconds": round(time.perf_counter() - start, 1)}),
                  file=sys.stderr, flush=True)
    out = {"dataset": args.dataset, "steps": args.steps, "torch": torch.__version__,
           "threads": args.threads, "ms_per_step_median": 1000 * float(np.median(times[5:] or times)),
           "train_seconds": round(time.perf_counter() - start, 1), "final_loss": float(loss)}
    if args.save:
        torch.save(model.state_dict(), args.save)
    if args.eval:
        target = args.target_return or max(float(t[2].sum()) for t in trajs)
        returns, out["eval_episodes_per_second"], out["eval_actions_per_second"] = evaluate(
            model, args.env, args.eval, target, mean, std, k, scale, args.eval_seed)
        out["eval_mean_return"] = float(np.mean(returns))
        out["eval_std_return"] = float(np.std(returns))
        out["eval_episodes"], out["eval_first_seed"] = args.eval, args.eval_seed
        out["target_return"] = target
    print(json.dumps(out))


if __name__ == "__main__":
    main()
