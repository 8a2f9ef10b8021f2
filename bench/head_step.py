"""One training step of the head alone in PyTorch, the twin of head-step.mjs.

The same shapes and settings as our side: 576 -> 128 -> 10 with ReLU, dropout 0.2 before each
linear layer (on the features too, as our head does), softmax cross-entropy, Adam (lr 0.001,
eps 1e-7 as tf.train.adam), batch 64, 9,000 rows of seeded features. One step = zero_grad,
forward, loss, backward, optimizer step, loss.item(). 2 threads. Prints one JSON line: the ms per
step of each round, after 30 untimed steps per round.

    python3 head_step.py STEPS ROUNDS
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS, DIM, HIDDEN, CLASSES, BATCH, DROPOUT, LR = 9000, 576, 128, 10, 64, 0.2, 0.001
WARMUP = 30


def run(x, y, steps):
    torch.manual_seed(42)
    head = nn.Sequential(nn.Dropout(DROPOUT), nn.Linear(DIM, HIDDEN), nn.ReLU(), nn.Dropout(DROPOUT), nn.Linear(HIDDEN, CLASSES))
    head.train()
    opt = torch.optim.Adam(head.parameters(), lr=LR, eps=1e-7)
    order = torch.randperm(ROWS)
    started = 0.0
    for i in range(WARMUP + steps):
        if i == WARMUP:
            started = time.perf_counter()
        start = (i * BATCH) % (ROWS - BATCH)
        idx = order[start:start + BATCH]
        opt.zero_grad()
        loss = F.cross_entropy(head(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss.item()
    return (time.perf_counter() - started) * 1000 / steps


def main():
    steps, rounds = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(11)
    x = torch.relu(torch.randn(ROWS, DIM, generator=gen) + 0.5)
    y = torch.randint(0, CLASSES, (ROWS,), generator=gen)
    rounds_ms = [round(run(x, y, steps), 3) for _ in range(rounds)]
    print(json.dumps({"rounds_ms": rounds_ms, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
