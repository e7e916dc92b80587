"""Spectrum timings (not a test): 100 x 100 stability sweeps and the spectrum page's first render.

* ``stability_sweep`` on a 100 x 100 grid of (lr_x, lr_y) at z = (1, 1) on f = x*y for gda and cgd
  (targets 20 ms and 100 ms), and for every registered algorithm; one torch thread, process CPU
  time, median of repeats.
* The spectrum page's first render in a warm process: AppTest renders the default page (toy
  games) first, then switches to the spectrum page (target 0.5 s).

    python -m bench.spectrum
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import dynamics
from dynamics import spectrum

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def sweep_ms(name: str, repeats: int = 5) -> float:
    algo = dynamics.make_algorithm(name)
    game = dynamics.make_game("bilinear")
    fields = {hp.name for hp in dynamics.hparams(algo) if hp.kind == "float"}
    # two step sizes where the algorithm has them, else its float hyperparameters (10,000 points either way)
    p1, p2 = ("lr_x", "lr_y") if {"lr_x", "lr_y"} <= fields else (sorted(fields) * 2)[:2]
    hp = {h.name: h for h in dynamics.hparams(algo)}
    axes = [np.linspace(max(hp[p].low, 0.01), min(hp[p].high, 0.5), 100) for p in (p1, p2)]
    if p1 == p2:  # one float hyperparameter: a 1-D sweep of 10,000 values
        axes = [np.linspace(max(hp[p1].low, 0.01), min(hp[p1].high, 0.5), 10_000)]
    args = (p1, axes[0]) if p1 == p2 else (p1, axes[0], p2, axes[1])
    spectrum.stability_sweep(game, algo, [1.0, 1.0], p1, axes[0][:3])  # warm-up
    times = []
    for _ in range(repeats):
        t = time.process_time()
        spectrum.stability_sweep(game, algo, [1.0, 1.0], *args)
        times.append(time.process_time() - t)
    return 1e3 * statistics.median(times)


def page_first_render() -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(MAIN, default_timeout=300)
    t = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t
    assert not at.exception, at.exception
    t = time.perf_counter()
    at.switch_page("app_pages/spectrum.py").run()
    first = time.perf_counter() - t
    assert not at.exception, at.exception
    return warm, first


def main() -> None:
    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; one torch thread, process CPU time")
    for name in ("gda", "cgd"):
        print(f"stability_sweep 100x100 {name}: {sweep_ms(name):.1f} ms (target {20 if name == 'gda' else 100} ms)")
    rest = {n: sweep_ms(n, 1) for n in sorted(dynamics.ALGORITHMS)}
    slowest = max(rest, key=rest.get)
    print(f"every registered algorithm ({len(rest)}): median {statistics.median(rest.values()):.1f} ms, "
          f"slowest {slowest} {rest[slowest]:.1f} ms")
    warm, first = page_first_render()
    print(f"default page render {warm:.2f} s (wall, warms the process); spectrum page first render {first:.2f} s "
          "(wall; target 0.5 s)")


if __name__ == "__main__":
    main()
