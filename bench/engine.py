"""Throughput of dynamics.run for every registered algorithm, against a naive per-start loop.

For each algorithm: the batched engine at B in {1, 64, 4096} starts x 1000 steps, and a naive
reference measured in the same run: a Python loop over starts, each start stepped on its own
with the field taken by autodiff of the loss (no closed form), timed on a few starts and scaled
to B. Prints ms per 1000 steps, the speed-up at B = 4096, and the cost relative to gda.

    python -m bench.engine                 # all algorithms
    python -m bench.engine --algorithms gda,cgd --steps 200
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass

import torch

import dynamics
from dynamics.game import Game


@dataclass(frozen=True, kw_only=True)
class AutodiffOnly(Game):
    """The wrapped game's losses with every closed-form shortcut removed (the naive reference)."""

    inner: Game = dataclasses.field(compare=False)

    @property
    def zero_sum(self) -> bool:  # type: ignore[override]
        return self.inner.zero_sum

    @property
    def dim_x(self) -> int:
        return self.inner.dim_x

    @property
    def dim_y(self) -> int:
        return self.inner.dim_y

    def loss(self, x, y):
        return self.inner.loss(x, y)

    def losses(self, x, y):
        return self.inner.losses(x, y)

    def project(self, z):
        return self.inner.project(z)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def engine_time(game: Game, algo: dynamics.Algorithm, n: int, steps: int) -> float:
    z0 = torch.randn(n, game.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    dynamics.run(game, algo, z0, steps=min(steps, 20))  # warm-up
    return min(timed(lambda: dynamics.run(game, algo, z0, steps=steps, record_every=10, metrics=False))
               for _ in range(2))


def naive_time_per_start(game: Game, algo: dynamics.Algorithm, steps: int, starts: int = 2) -> float:
    """Seconds per start for a Python loop over starts, field by autodiff (the naive reference)."""
    slow = AutodiffOnly(inner=game)
    z0 = torch.randn(starts, game.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def loop(n_starts: int, n_steps: int) -> None:
        for b in range(n_starts):
            z = z0[b : b + 1]
            state = algo.init(slow, z)
            for _ in range(n_steps):
                z, state = algo.step(slow, z, state)
                z = slow.project(z)

    with torch.no_grad():  # the engine runs under no_grad too (torch.func ignores it)
        loop(1, 5)  # warm-up: torch.func's first calls are slow
        return timed(lambda: loop(starts, steps)) / starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algorithms", default=",".join(sorted(dynamics.ALGORITHMS)))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--naive-steps", type=int, default=200, help="steps timed per naive start (scaled)")
    parser.add_argument("--game", default="bilinear")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    game = dynamics.make_game(args.game)
    names = args.algorithms.split(",")
    names = ["gda", *[n for n in names if n != "gda"]]  # the reference row first
    print(f"game={args.game}, {args.steps} steps, float64, {torch.get_num_threads()} threads; ms per run")
    header = (f"{'algorithm':<20}{'B=1':>9}{'B=64':>9}{'B=4096':>10}{'naive/start':>13}"
              f"{'speed-up@4096':>15}{'×gda@4096':>11}")
    print(header)
    print("-" * len(header))
    gda_4096 = None
    for name in names:
        algo = dynamics.make_algorithm(name, **({"lr": 0.05} if "lr" in {f.name for f in dataclasses.fields(
            dynamics.ALGORITHMS[name])} else {}))
        t = {n: engine_time(game, algo, n, args.steps) for n in (1, 64, 4096)}
        per_start = naive_time_per_start(game, algo, args.naive_steps) * args.steps / args.naive_steps
        if name == "gda":
            gda_4096 = t[4096]
        speedup = per_start * 4096 / t[4096]
        print(f"{name:<20}{1e3 * t[1]:>9.1f}{1e3 * t[64]:>9.1f}{1e3 * t[4096]:>10.1f}{1e3 * per_start:>13.1f}"
              f"{speedup:>14.0f}×{t[4096] / gda_4096:>10.2f}×", flush=True)


if __name__ == "__main__":
    main()
