"""GAN step speed: the engine versus a hand-written torch.optim loop, and S seeds vmapped versus
S sequential runs. Prints a table of ratios measured in the same process (not a test).

    python bench/gan.py [--steps 60] [--seeds 16] [--small] [--threads 1 --cpu-time]

On a shared machine use ``--threads 1 --cpu-time``: times are then this process's CPU seconds,
which other jobs on the same cores do not inflate the way they inflate wall-clock time.

ratio = hand-written time / engine time (>= 0.8 wanted for gda, alt_gda, adam);
speed-up = 16 sequential single-seed runs / one 16-seed vmapped run (>= 4 wanted).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynamics  # noqa: E402
from gan_demo.game import mix_seed  # noqa: E402
from gan_demo.gmm import GMMConfig, build  # noqa: E402
from gan_demo.models import ModelConfig  # noqa: E402

#: the clock every timing uses (``--cpu-time`` switches it to process CPU time)
clock: Callable[[], float] = time.perf_counter


def hand_loop(game, z0: torch.Tensor, name: str, lr: float, steps: int) -> float:
    """The textbook PyTorch GAN loop with the same nets, saturating loss, batch and draws."""
    from gan_demo.game import module_from_flat

    x0, y0 = game.split(z0)
    G = module_from_flat(game.generator, x0[0]).train()
    D = module_from_flat(game.discriminator, y0[0]).train()
    if name == "adam":
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    else:
        opt_g = torch.optim.SGD(G.parameters(), lr=lr)
        opt_d = torch.optim.SGD(D.parameters(), lr=lr)
    sp = nn.functional.softplus

    def value(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
        return -sp(-d_real).mean() - sp(d_fake).mean()

    t0 = clock()
    for t in range(steps):
        real, noise, _ = game.draw(mix_seed(game.seeds[0], t), game.batch_size, torch.device("cpu"))
        if name == "alt_gda":  # generator first, the discriminator sees the new generator
            opt_g.zero_grad()
            value(torch.zeros(1), D(G(noise))).backward()
            opt_g.step()
            opt_d.zero_grad()
            with torch.no_grad():
                fake = G(noise)
            (-value(D(real), D(fake))).backward()
            opt_d.step()
        else:
            opt_g.zero_grad()
            opt_d.zero_grad()
            fake = G(noise)
            value(torch.zeros(1), D(fake)).backward(inputs=list(G.parameters()))
            (-value(D(real), D(fake.detach()))).backward(inputs=list(D.parameters()))
            opt_g.step()
            opt_d.step()
    return clock() - t0


def engine(game, z0: torch.Tensor, algo, steps: int) -> float:
    t0 = clock()
    dynamics.run(game, algo, z0, steps=steps, dtype=torch.float32, metrics=False, record_every=steps)
    return clock() - t0


def best(fn, repeats: int) -> float:
    return min(fn() for _ in range(repeats))


def best_pair(fa, fb, repeats: int) -> tuple[float, float]:
    """Best of ``repeats`` for two timings taken in turns (a load spike hits both, not one)."""
    a, b = [], []
    for _ in range(repeats):
        a.append(fa())
        b.append(fb())
    return min(a), min(b)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--seeds", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--small", action="store_true", help="z 16, 2x64 nets, batch 128 instead of Mangoubi's")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--cpu-time", action="store_true", help="time with process CPU time (use with --threads 1)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.cpu_time:
        global clock
        clock = time.process_time
    model = ModelConfig(latent_dim=16, g_width=64, d_width=64) if a.small else ModelConfig()
    cfg = GMMConfig(model=model, batch_size=128 if a.small else 512, seeds=(0,))
    game, _ = build(cfg)
    z0 = game.init_params(dtype=torch.float32)
    print(f"nets: z {model.latent_dim}, G/D {model.g_depth}x{model.g_width} {model.activation}; batch "
          f"{cfg.batch_size}; P = {game.dim}; {a.steps} steps; torch threads {torch.get_num_threads()}; best of "
          f"{a.repeats}; {'process CPU' if a.cpu_time else 'wall-clock'} time")
    print(f"{'algorithm':<10} {'hand s/step':>12} {'engine s/step':>14} {'ratio':>7}")
    algos = {"gda": dynamics.make_algorithm("gda", lr=1e-3),
             "alt_gda": dynamics.make_algorithm("alt_gda", lr=1e-3),
             "adam": dynamics.make_algorithm("adam", lr=1e-4, beta1=0.5)}
    for name, algo in algos.items():
        lr = algo.lr
        engine(game, z0, algo, 3)  # warm-up
        hand_loop(game, z0, name, lr, 3)
        h, e = best_pair(lambda n=name, r=lr: hand_loop(game, z0, n, r, a.steps),
                         lambda al=algo: engine(game, z0, al, a.steps), a.repeats)
        print(f"{name:<10} {h / a.steps * 1e3:>10.2f}ms {e / a.steps * 1e3:>12.2f}ms {h / e:>7.2f}")

    S = a.seeds
    cfg_s = GMMConfig(model=model, batch_size=cfg.batch_size, seeds=tuple(range(S)))
    game_s, _ = build(cfg_s)
    zs = game_s.init_params(dtype=torch.float32)
    algo = algos["adam"]
    steps = max(5, a.steps // 3)
    vm = best(lambda: engine(game_s, zs, algo, steps), a.repeats)
    singles = [build(GMMConfig(model=model, batch_size=cfg.batch_size, seeds=(s,)))[0] for s in range(S)]
    seq = best(lambda: sum(engine(g1, zs[i : i + 1], algo, steps) for i, g1 in enumerate(singles)), 1)
    print(f"\nadam, {S} seeds x {steps} steps: vmapped {vm:.2f} s, {S} sequential runs {seq:.2f} s, "
          f"speed-up {seq / vm:.1f}x")


if __name__ == "__main__":
    main()
