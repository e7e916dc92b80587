"""The engine against hand-written loops on f = x*y (see bench/handloops.py), in one run.

For each algorithm and batch size B: ``dynamics.run`` (1000 steps, float64, every 10th iterate
recorded, metrics off), a torch loop on (B,) tensors that records nothing, and a numpy loop that
records every iterate. One torch thread, process CPU time, the median of interleaved repeats
(engine, torch, numpy, engine, torch, numpy, ...), so background load hits all three alike.
Prints engine / best hand-written loop per B and checks the final iterates agree to 1e-12.

    python -m bench.engine                          # the table of the README
    python -m bench.engine --algorithms gda,cgd --sizes 1,4096 --repeats 5
    python -m bench.engine --memory                 # peak memory of default runs against their record

``--memory`` runs ``dynamics.run`` with its defaults (metrics on, ``record_every`` chosen by the
runner) in a fresh process per size and prints the peak resident memory it added (``ru_maxrss``
after the run minus before it) divided by the bytes of the returned trajectory (x, y, f, |xi|).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
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


_MEMORY_PROBE = """
import resource, sys, torch, dynamics
torch.set_num_threads(1)
b, steps = int(sys.argv[1]), int(sys.argv[2])
game, algo = dynamics.make_game("bilinear"), dynamics.make_algorithm("gda", lr=0.05)
dynamics.run(game, algo, torch.ones(2, 2, dtype=torch.float64), steps=3)  # warm-up: kernels, lazy imports
z0 = torch.randn(b, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
traj = dynamics.run(game, algo, z0, steps=steps)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = sum(t.numel() * t.element_size() for t in (traj.x, traj.y, traj.f, traj.grad_norm))
print((peak - before) * 1024, size, traj.record_every)
"""


def memory(sizes: list[int], steps: int) -> None:
    """Peak memory a default run adds, against the size of what it returns (one fresh process per B)."""
    print(f"peak memory of a default run (gda, f = x*y, {steps} steps, float64, metrics on, record_every unset)")
    print(f"{'B':>8} {'record_every':>13} {'trajectory MB':>14} {'peak added MB':>14} {'peak / trajectory':>18}")
    for b in sizes:
        out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(b), str(steps)], capture_output=True,
                             text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        added, size, every = (int(v) for v in out.stdout.split())
        print(f"{b:>8} {every:>13} {size / 1e6:>14.1f} {added / 1e6:>14.1f} {added / size:>18.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--sizes", default="1,64,4096,65536")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="peak memory of default runs instead of speed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.memory:
        memory([int(s) for s in (args.sizes if args.sizes != "1,64,4096,65536" else "4096,40000,65536").split(",")],
               args.steps)
        return
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
