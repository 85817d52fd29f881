#!/usr/bin/env python3
"""Plays a perfect (minimax) player against a trained TicTacToe-v0 agent through
`fleet play` (the minimax player takes the person's seat, reading the board `fleet play`
prints and typing its moves) and prints the game transcripts: to see where an agent
goes wrong. The minimax player picks uniformly among optimal moves.

  python3 benchmarks/play_minimax.py RUN_DIR [--games 3] [--first agent|you|random] [--fleet build/bin/fleet]
"""
import argparse
import functools
import random
import subprocess

LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def winner(b):
    for x, y, z in LINES:
        if b[x] != 0 and b[x] == b[y] == b[z]:
            return b[x]
    return 0


@functools.lru_cache(None)
def value(b, p):
    w = winner(b)
    if w:
        return 1 if w == p else -1
    if 0 not in b:
        return 0
    return max(-value(b[:m] + (p,) + b[m + 1:], -p) for m in range(9) if b[m] == 0)


def optimal(b, p):
    v = value(b, p)
    return [m for m in range(9) if b[m] == 0 and -value(b[:m] + (p,) + b[m + 1:], -p) == v]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--games", type=int, default=3)
    ap.add_argument("--first", default="random")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fleet", default="build/bin/fleet")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    proc = subprocess.Popen([a.fleet, "play", a.run, "--first", a.first, "--games", str(a.games),
                             "--seed", str(a.seed)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=0)
    out = ""
    while True:
        ch = proc.stdout.read(1)
        if not ch:
            break
        out += ch
        if out.endswith("to quit): "):
            rows = [line for line in out.split("\n") if "|" in line][-3:]
            cells = [c.strip() for r in rows for c in r.split("|")]
            board = tuple(1 if c == "X" else -1 if c == "O" else 0 for c in cells)
            proc.stdin.write(f"{rng.choice(optimal(board, -1)) + 1}\n")
    print(out.replace("your move (1-9, q to quit): ", ""))
    return proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
