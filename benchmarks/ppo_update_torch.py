"""The PPO update of benchmarks/ppo_update_bench.cc in Python PyTorch, CleanRL style
(separate actor and critic 64-64 tanh nn.Sequential, orthogonal init, Adam eps 1e-5,
advantage normalization, clipped surrogate and value loss, entropy, grad-norm clipping),
on the same synthetic CartPole-shaped rollouts, one intra-op thread, denormals flushed as
Fleet's learner does. Prints samples/s (x epochs) per case, like the C++ benchmark.

Usage: /usr/bin/python3 benchmarks/ppo_update_torch.py   (Debian's python3-torch)
"""
import time

import numpy as np
import torch
import torch.nn as nn

CASES = [  # (samples per update, minibatches, epochs), as in ppo_update_bench
    (512, 4, 4),    # CleanRL's CartPole shape
    (1024, 4, 4),
    (1024, 1, 4),   # configs/cartpole_ppo.yaml
    (2048, 2, 4),
]


def layer(i, o, std=np.sqrt(2)):
    lin = nn.Linear(i, o)
    nn.init.orthogonal_(lin.weight, std)
    nn.init.constant_(lin.bias, 0.0)
    return lin


class Agent(nn.Module):
    def __init__(self, obs_dim=4, n_actions=2, hidden=64):
        super().__init__()
        self.critic = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden),
                                    nn.Tanh(), layer(hidden, 1, 1.0))
        self.actor = nn.Sequential(layer(obs_dim, hidden), nn.Tanh(), layer(hidden, hidden),
                                   nn.Tanh(), layer(hidden, n_actions, 0.01))

    def evaluate(self, obs, actions):
        logits = self.actor(obs)
        dist = torch.distributions.Categorical(logits=logits)
        return dist.log_prob(actions), dist.entropy(), self.critic(obs).squeeze(-1)


def update(agent, opt, b, minibatches, epochs, clip=0.2):
    n = b["obs"].shape[0]
    mb = n // minibatches
    for _ in range(epochs):
        perm = torch.randperm(n)
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
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for samples, minibatches, epochs in CASES:
        agent = Agent()
        opt = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
        b = dict(obs=torch.randn(samples, 4), act=torch.randint(0, 2, (samples,)),
                 logp=torch.full((samples,), -0.693), adv=torch.randn(samples),
                 ret=torch.randn(samples), val=torch.randn(samples))
        update(agent, opt, b, minibatches, epochs)  # warm-up
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2.0:
            update(agent, opt, b, minibatches, epochs)
            reps += 1
        dt = (time.perf_counter() - start) / reps
        print(f"samples {samples} minibatches {minibatches} epochs {epochs}: "
              f"{dt * 1e3:.1f} ms/update, {samples * epochs / dt / 1e3:.1f}k samples/s")


if __name__ == "__main__":
    main()
