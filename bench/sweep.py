"""Local Ray versus one process for the same sweep tasks: ``python bench/sweep.py [--tasks 4] [--workers 2]``.

Runs a toy sweep (``--tasks`` tasks of ``--seeds`` seeds each; extragradient on a bilinear game,
``--steps`` iterations, one torch thread per process) twice, in one run so both see the same
machine load:

1. one task after another in this process (``run_sweep(use_ray=False)``, the reference);
2. on embedded local Ray with ``--workers`` worker processes.

Ray's start-up is timed separately: ``ray.init`` and the warm-up (one task per worker that imports
torch and the engine, which a fresh worker process must do once). The printed ratio is reference
wall / Ray wall without start-up; ``with start-up`` adds both. Timings are wall-clock and depend on
what else runs on the machine; compare the ratio, measured in one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from gan_demo import sweep


def _warm() -> int:
    sweep.one_thread()
    import dynamics  # noqa: F401  (the import a fresh worker pays once)

    return os.getpid()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python bench/sweep.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=4, help="seeds per task")
    ap.add_argument("--steps", type=int, default=60000, help="iterations per task")
    a = ap.parse_args(argv)
    for k, v in sweep.THREAD_ENV.items():
        os.environ.setdefault(k, v)
    spec = sweep.parse_spec({
        "name": "bench", "experiment": "toy", "seeds": {"start": 0, "count": a.tasks * a.seeds}, "chunk": a.seeds,
        "params": {"game": "bilinear", "algorithm": "extragradient", "lr": 0.1, "steps": a.steps}})
    assert len(spec.tasks()) == a.tasks
    _warm()  # the reference process pays its imports before timing too
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        t0 = time.perf_counter()
        ref = sweep.run_sweep(spec, tmp / "seq", use_ray=False, progress=False)
        t_seq = time.perf_counter() - t0
        assert len(ref.ran) == a.tasks and not ref.failed

        import ray

        sweep.start_local_env()
        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=a.workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, runtime_env={"env_vars": dict(sweep.THREAD_ENV)})
        t_init = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = ray.remote(num_cpus=1)(_warm)
        pids = set(ray.get([warm.remote() for _ in range(a.workers)]))
        t_warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        par = sweep.run_sweep(spec, tmp / "ray", progress=False)
        t_ray = time.perf_counter() - t0
        ray.shutdown()
        assert len(par.ran) == a.tasks and not par.failed
        same = sorted(r["seed"] for r in sweep.load_results(tmp / "seq") for r in r["results"]) == \
            sorted(r["seed"] for r in sweep.load_results(tmp / "ray") for r in r["results"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{a.tasks} tasks x {a.seeds} seeds x {a.steps} steps; {os.cpu_count()} cores, load avg {load:.1f}")
    print(f"one process, one after another : {t_seq:7.2f} s")
    print(f"local Ray, {a.workers} workers ({len(pids)} pids)  : {t_ray:7.2f} s   speed-up {t_seq / t_ray:.2f}x")
    print(f"Ray start-up: ray.init {t_init:.2f} s + worker warm-up {t_warm:.2f} s; "
          f"speed-up with start-up {t_seq / (t_ray + t_init + t_warm):.2f}x; same seeds: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
