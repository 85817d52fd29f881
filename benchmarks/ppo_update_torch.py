"""The PPO update of benchmarks/ppo_update_bench.cc in Python PyTorch, CleanRL style
(separate actor and critic 64-64 tanh nn.Sequential, orthogonal init, Adam eps 1e-5,
advantage normalization, clipped surrogate and value loss, entropy, grad-norm clipping),
on the same synthetic CartPole-shaped rollouts, one intra-op thread, denormals flushed and
glibc malloc told to keep freed memory (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB)
as Fleet's learner does (--default-malloc leaves malloc as it is). Prints samples/s
(x epochs) per case, like the C++ benchmark.

Shapes as in ppo_update_bench: CartPole (4-dim obs, 2 actions) and HalfCheetah (17-dim
obs, 6-dim diagonal Gaussian with state-independent log-std, as CleanRL's
ppo_continuous_action.py).

Usage: /usr/bin/python3 benchmarks/ppo_update_torch.py [--device cuda] [--default-malloc]
       (Debian's python3-torch; --device cuda with a CUDA PyTorch)
"""
import argparse
import ctypes
import ctypes.util
import time

import numpy as np
import torch
import torch.nn as nn

CASES = [  # (samples per update, minibatches, epochs, hidden, shape), as in ppo_update_bench
    (512, 4, 4, 64, "cartpole"),    # CleanRL's CartPole shape
    (1024, 4, 4, 64, "cartpole"),
    (1024, 1, 4, 64, "cartpole"),   # configs/cartpole_ppo.yaml
    (2048, 2, 4, 64, "cartpole"),
    (2048, 32, 10, 64, "halfcheetah"),  # CleanRL's ppo_continuous_action.py
    (512, 8, 20, 256, "halfcheetah"),  # configs/halfcheetah_ppo_zoo.yaml (RL Zoo's shape)
    (16384, 4, 4, 256, "halfcheetah"),  # large batch, 256-256
]


def layer(i, o, std=np.sqrt(2)):
    lin = nn.Linear(i, o)
    nn.init.orthogonal_(lin.weight, std)
    nn.init.constant_(lin.bias, 0.0)
    return lin


class Agent(nn.Module):
    def __init__(self, obs_dim=4, n_actions=2, hidden=64, continuous=False):
        super().__init__()
        self.continuous = continuous
        if continuous:
            self.logstd = nn.Parameter(torch.zeros(1, n_actions))
        self.critic = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden),
                                    nn.Tanh(), layer(hidden, 1, 1.0))
        self.actor = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden),
                                   nn.Tanh(), layer(hidden, n_actions, 0.01))

    def evaluate(self, obs, actions):
        out = self.actor(obs)
        if self.continuous:
            dist = torch.distributions.Normal(out, self.logstd.expand_as(out).exp())
            return (dist.log_prob(actions).sum(1), dist.entropy().sum(1),
                    self.critic(obs).squeeze(-1))
        dist = torch.distributions.Categorical(logits=out)
        return dist.log_prob(actions), dist.entropy(), self.critic(obs).squeeze(-1)


def update(agent, opt, b, minibatches, epochs, clip=0.2):
    n = b["obs"].shape[0]
    mb = n // minibatches
    for _ in range(epochs):
        perm = torch.randperm(n, device=b["obs"].device)
        for start in range(0, n, mb):
            idx = perm[start:start + mb]
            logp, ent, value = agent.evaluate(b["obs"][idx], b["act"][idx])
            logratio = logp - b["logp"][idx]
            ratio = logratio.exp()
            adv = b["adv"][idx]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 1 - clip, 1 + clip)).mean()
            v_unclipped = (value - b["ret"][idx]) ** 2
            v_clipped = b["val"][idx] + torch.clamp(value - b["val"][idx], -clip, clip)
            v_loss = 0.5 * torch.max(v_unclipped, (v_clipped - b["ret"][idx]) ** 2).mean()
            loss = pg - 0.01 * ent.mean() + 0.5 * v_loss
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            opt.step()
            with torch.no_grad():  # the statistics CleanRL (and Fleet) log per minibatch
                ((ratio - 1) - logratio).mean().item()
                ((ratio - 1.0).abs() > clip).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--default-malloc", action="store_true")
    args = ap.parse_args()
    dev = torch.device(args.device)
    if not args.default_malloc:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        assert libc.mallopt(m_mmap_threshold, 32 << 20) == 1
        assert libc.mallopt(m_trim_threshold, 1 << 30) == 1
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {dev}")
    for samples, minibatches, epochs, hidden, shape in CASES:
        cont = shape == "halfcheetah"
        d, a = (17, 6) if cont else (4, 2)
        agent = Agent(d, a, hidden, cont).to(dev)
        opt = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
        act = torch.randn(samples, a) if cont else torch.randint(0, a, (samples,))
        b = dict(obs=torch.randn(samples, d), act=act,
                 logp=torch.full((samples,), -0.693), adv=torch.randn(samples),
                 ret=torch.randn(samples), val=torch.randn(samples))
        b = {k: v.to(dev) for k, v in b.items()}
        update(agent, opt, b, minibatches, epochs)  # warm-up
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2.0:
            update(agent, opt, b, minibatches, epochs)
            reps += 1
        if dev.type == "cuda":
            torch.cuda.synchronize()
        dt = (time.perf_counter() - start) / reps
        print(f"{shape} samples {samples} minibatches {minibatches} epochs {epochs} "
              f"hidden {hidden}: "
              f"{dt * 1e3:.1f} ms/update, {samples * epochs / dt / 1e3:.1f}k samples/s")


if __name__ == "__main__":
    main()
