"""The engine against hand-written loops on f = x*y (see bench/handloops.py), in one run.

For each algorithm and batch size B: ``dynamics.run`` (1000 steps, float64, every 10th iterate
recorded, metrics off), a torch loop on (B,) tensors that records nothing, and a numpy loop that
records every iterate. One torch thread, process CPU time, the median of interleaved repeats
(engine, torch, numpy, engine, torch, numpy, ...), so background load hits all three alike.
Prints engine / best hand-written loop per B and checks the final iterates agree to 1e-12.

    python -m bench.engine                          # the table of the README
    python -m bench.engine --algorithms gda,cgd --sizes 1,4096 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

import dynamics
from bench.handloops import ALGORITHMS, numpy_loop, torch_loop

ETA = 0.05
#: the issue's targets for engine / best hand-written loop
FIRST_ORDER = ("gda", "alt_gda", "extragradient", "ogda", "momentum")


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def target(name: str, b: int) -> float | None:
    if b >= 4096:
        return 3.0 if name in FIRST_ORDER else 5.0
    if b == 1 and name in FIRST_ORDER:
        return 10.0
    return None


def measure(name: str, b: int, steps: int, repeats: int) -> tuple[float, float, float, float]:
    game = dynamics.make_game("bilinear")
    algo = dynamics.make_algorithm(name, lr=ETA)
    z0 = torch.randn(b, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x0, y0 = z0[:, 0].clone(), z0[:, 1].clone()
    xn, yn = x0.numpy().copy(), y0.numpy().copy()
    out: dict[str, object] = {}

    def engine() -> None:
        out["engine"] = dynamics.run(game, algo, z0, steps=steps, record_every=10, metrics=False).z_final

    def torch_ref() -> None:
        out["torch"] = torch.stack(torch_loop(name, x0, y0, steps, ETA), dim=1)

    def numpy_ref() -> None:
        out["numpy"] = numpy_loop(name, xn, yn, steps, ETA)[-1]

    fns = {"engine": engine, "torch": torch_ref, "numpy": numpy_ref}
    for fn in fns.values():  # warm-up (first calls load kernels)
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            times[k].append(cpu(fn))
    err = max(float((out["engine"] - out["torch"]).abs().max()),
              float(np.abs(out["engine"].numpy() - out["numpy"]).max()))
    med = {k: statistics.median(v) for k, v in times.items()}
    return med["engine"], med["torch"], med["numpy"], err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--sizes", default="1,64,4096,65536")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = [n for n in args.algorithms.split(",") if n]
    unknown = sorted(set(names) - set(ALGORITHMS))
    if unknown:
        parser.error(f"no hand-written loop for {', '.join(unknown)}; choose from {', '.join(ALGORITHMS)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    load = os.getloadavg()[0]
    print(f"f = x*y, {args.steps} steps, float64, torch threads = {torch.get_num_threads()}, process CPU time, "
          f"median of {args.repeats} interleaved repeats; load average at start {load:.1f} on {os.cpu_count()} cores")
    print("engine / best hand-written loop (torch loop on (B,) tensors, or numpy loop recording every iterate);"
          " ms: engine | torch | numpy; * = misses the target")
    header = f"{'algorithm':<15}" + "".join(f"{'B=' + str(b):>30}" for b in sizes)
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name in names:
        cells = []
        for b in sizes:
            e, t, n, err = measure(name, b, args.steps, args.repeats)
            ratio = e / min(t, n)
            goal = target(name, b)
            mark = "*" if goal is not None and ratio > goal else " "
            if err > 1e-12:
                mark = "!"
            worst = max(worst, err)
            cells.append(f"{ratio:6.2f}×{mark} ({1e3 * e:6.0f}|{1e3 * t:6.0f}|{1e3 * n:6.0f})")
        print(f"{name:<15}" + "".join(f"{c:>30}" for c in cells), flush=True)
    print(f"largest |engine - hand-written| over final iterates: {worst:.1e}"
          f"; load average at end {os.getloadavg()[0]:.1f}")
    print("targets: <= 3× first-order (gda..momentum) and <= 5× the others at B >= 4096; <= 10× first-order at B = 1")


if __name__ == "__main__":
    main()
