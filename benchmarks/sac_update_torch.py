#!/usr/bin/env python3
"""SAC's update in Python PyTorch, the same computation as Fleet's learner/sac.cc (and
CleanRL 1.2.0's sac_continuous_action.py, whose structure and defaults both follow):
HalfCheetah's shapes (17-dim observations, 6-dim actions), 256-256 ReLU networks, batch
256, twin critics with Polyak targets, the policy and the temperature updated twice every
second step. One intra-op thread by default (--threads N for more); Debian's python3-torch
is the same libtorch 1.13 Fleet's learner links. Prints ms per update (mean over whole
policy periods), three repetitions.

  taskset -c 1 /usr/bin/python3 benchmarks/sac_update_torch.py [--updates 400] [--threads 1]
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OBS, ACT, HIDDEN, BATCH = 17, 6, 256, 256
LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0


class Q(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(OBS + ACT, HIDDEN), nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, 1)

    def forward(self, s, a):
        x = torch.cat([s, a], 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(OBS, HIDDEN), nn.Linear(HIDDEN, HIDDEN)
        self.mean, self.log_std = nn.Linear(HIDDEN, ACT), nn.Linear(HIDDEN, ACT)

    def sample(self, s):
        h = F.relu(self.fc2(F.relu(self.fc1(s))))
        mean = self.mean(h)
        log_std = torch.tanh(self.log_std(h))
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (log_std + 1)
        std = log_std.exp()
        x = mean + std * torch.randn_like(mean)
        y = torch.tanh(x)
        log_prob = (-0.5 * ((x - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
                    - torch.log(1 - y.pow(2) + 1e-6)).sum(1)
        return y, log_prob


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    actor, q1, q2, q1t, q2t = Actor(), Q(), Q(), Q(), Q()
    q1t.load_state_dict(q1.state_dict())
    q2t.load_state_dict(q2.state_dict())
    q_opt = torch.optim.Adam(list(q1.parameters()) + list(q2.parameters()), lr=1e-3)
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    log_alpha = torch.zeros(1, requires_grad=True)
    alpha_opt = torch.optim.Adam([log_alpha], lr=1e-3)
    target_entropy = -float(ACT)
    batches = [(torch.randn(BATCH, OBS), torch.rand(BATCH, ACT) * 2 - 1, torch.randn(BATCH),
                torch.randn(BATCH, OBS), torch.zeros(BATCH)) for _ in range(8)]

    def update(step, b):
        s, a, r, s2, d = b
        alpha = log_alpha.exp().item()
        with torch.no_grad():
            a2, lp2 = actor.sample(s2)
            min_q = torch.min(q1t(s2, a2), q2t(s2, a2)).view(-1)
            y = r + 0.99 * (1 - d) * (min_q - alpha * lp2)
        l1 = F.mse_loss(q1(s, a).view(-1), y)
        l2 = F.mse_loss(q2(s, a).view(-1), y)
        q_opt.zero_grad()
        (l1 + l2).backward()
        q_opt.step()
        if step % 2 == 0:
            for _ in range(2):
                pi, lp = actor.sample(s)
                loss = (alpha * lp - torch.min(q1(s, pi), q2(s, pi)).view(-1)).mean()
                a_opt.zero_grad()
                loss.backward()
                a_opt.step()
                with torch.no_grad():
                    _, lp = actor.sample(s)
                alpha_loss = (-log_alpha.exp() * (lp + target_entropy)).mean()
                alpha_opt.zero_grad()
                alpha_loss.backward()
                alpha_opt.step()
                alpha = log_alpha.exp().item()
        with torch.no_grad():
            for net, tgt in ((q1, q1t), (q2, q2t)):
                for p, pt in zip(net.parameters(), tgt.parameters()):
                    pt.mul_(0.995).add_(p, alpha=0.005)

    for i in range(20):
        update(i + 1, batches[i % 8])
    for rep in range(3):
        t0 = time.perf_counter()
        for i in range(args.updates):
            update(i + 1, batches[i % 8])
        ms = (time.perf_counter() - t0) * 1000 / args.updates
        print(f"repetition {rep}: {ms:.2f} ms per update ({args.updates} updates, {args.threads} "
              f"thread(s), torch {torch.__version__})")


if __name__ == "__main__":
    main()
