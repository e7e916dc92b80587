"""Seed sweeps on Ray: ``python -m gan_demo.sweep SPEC [--out DIR] [--workers N] [--address auto]``.

A sweep is a small TOML file (see ``sweeps/``)::

    experiment = "gmm"            # a name from EXPERIMENTS (no import paths from the spec)
    seeds = {start = 0, count = 30}   # or an explicit list: seeds = [0, 1, 5]
    chunk = 10                    # seeds per task (trained at once, vmapped where supported)
    out = "runs/sweeps/four4"     # result folder (``--out`` overrides)

    [resources]                   # per task, as Ray understands them
    num_cpus = 1
    num_gpus = 0

    [params]                      # shared by every arm
    steps = 1500

    [[arms]]                      # optional: named arms, each a table of params
    name = "gda"
    algorithm = "adam"

    [grid]                        # optional: cartesian product, crossed with the arms
    lr = [0.1, 0.05]

Arms are ``params`` + one ``[[arms]]`` entry + one grid point (later wins). Each task is one arm
and one chunk of seeds; it runs ``run_seeds(params, seeds, device)`` of the experiment (the
contract below) in a Ray worker with one torch thread and returns the per-seed metrics. The driver
writes ONE JSON file per task into ``OUT/results/`` atomically (temporary file + rename), so a
half-written file never exists and results land in one folder even on a cluster without a shared
file system. Running the same spec again skips tasks whose result file exists (resumable); a task
that raises loses only itself: it is reported with its config (and written to ``OUT/failed/``) and
retried on the next run, while the others go on.

Experiment contract: ``run_seeds(params: dict, seeds: list[int], device: str = "cpu") -> list[dict]``
returns one flat JSON-able dict of metrics per seed (with key ``"seed"``), deterministic given
``(params, seed)`` and independent of how the seeds are chunked.

Ray: embedded local Ray by default (``ray.init(address="local", num_cpus=workers,
include_dashboard=False)``, one worker per core up to the number of tasks); ``--address auto``
(or ``host:port``) joins a running cluster instead and ships this checkout to its workers as Ray's
``working_dir`` (without ``runs/``, ``checkpoints/``, ``.git``); the nodes need the same Python
packages (requirements.txt + ray).
Bad specs raise :class:`SpecError` naming the field; the CLI prints it on one line and exits 2.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import itertools
import json
import math
import os
import re
import socket
import sys
import time
import tomllib
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

#: experiment name -> "module:function" (imported lazily; the spec can only name a key)
EXPERIMENTS: dict[str, str] = {
    "toy": "gan_demo.sweep:toy_run_seeds",
    "gmm": "gan_demo.gmm:run_seeds",
    "mnist_exp2": "gan_demo.mnist.exp2:run_seeds",
}

SPEC_KEYS = {"name", "experiment", "seeds", "chunk", "out", "device", "resources", "params", "arms", "grid",
             "report"}
RESOURCE_KEYS = {"num_cpus", "num_gpus", "memory"}
MAX_SEEDS = 100_000
MAX_TASKS = 100_000
#: environment of every task process: one thread per worker (workers are the parallelism)
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "SADDLE_TORCH_THREADS": "1"}


#: the checkout shipped to cluster workers (Ray's runtime_env working_dir), minus bulky folders
REPO_ROOT = Path(__file__).resolve().parents[1]
CLUSTER_EXCLUDES = [".git/", ".venv/", "runs/", "checkpoints/", "__pycache__/", "*.pyc", "docs/figures/"]


class SpecError(ValueError):
    """A malformed sweep spec; the message starts with the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


# ---- the spec ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One unit of work: an arm (its full params) and a chunk of seeds."""

    arm: str
    params: dict[str, Any]
    seeds: tuple[int, ...]

    @property
    def key(self) -> str:
        """File-name-safe id, unique per (params, seeds): the arm's slug + a hash of the params."""
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", self.arm)[:60]
        return f"{slug}-{params_hash(self.params)}-s{self.seeds[0]}-{self.seeds[-1]}"

    def config(self) -> dict[str, Any]:
        return {"arm": self.arm, "params": self.params, "seeds": list(self.seeds)}


@dataclass(frozen=True)
class Spec:
    """A validated sweep spec (see the module docstring)."""

    name: str
    experiment: str
    seeds: tuple[int, ...]
    chunk: int
    out: Optional[str] = None
    device: str = "cpu"
    resources: dict[str, float] = field(default_factory=lambda: {"num_cpus": 1})
    arms: tuple[tuple[str, dict[str, Any]], ...] = ()
    report: dict[str, Any] = field(default_factory=dict)

    def tasks(self) -> list[Task]:
        """Arms x seed chunks, chunk-major.

        Every arm gets its first chunk before any arm its second, so a sweep stopped early has
        comparable seed counts per arm.
        """
        out = []
        for i in range(0, len(self.seeds), self.chunk):
            for arm, params in self.arms:
                out.append(Task(arm, params, self.seeds[i : i + self.chunk]))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "experiment": self.experiment, "seeds": list(self.seeds), "chunk": self.chunk,
                "device": self.device, "resources": self.resources,
                "arms": [{"name": a, "params": p} for a, p in self.arms], "report": self.report}


def params_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (bool, int, float, str))


def _check_params(where: str, d: Any) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise SpecError(where, f"must be a table of parameters, got {type(d).__name__}")
    for k, v in d.items():
        ok = _is_scalar(v) or (isinstance(v, list) and all(_is_scalar(x) for x in v))
        if not ok:
            raise SpecError(f"{where}.{k}", f"must be a number, string, boolean or a list of them, got {v!r}")
    return dict(d)


def _seeds(v: Any) -> tuple[int, ...]:
    if isinstance(v, dict):
        extra = set(v) - {"start", "count"}
        if extra:
            raise SpecError("seeds", f"unknown key(s) {sorted(extra)}; use {{start = 0, count = N}} or a list")
        start, count = v.get("start", 0), v.get("count")
        for k, x in (("start", start), ("count", count)):
            if not isinstance(x, int) or isinstance(x, bool):
                raise SpecError(f"seeds.{k}", f"must be an integer, got {x!r}")
        if not 1 <= count <= MAX_SEEDS:
            raise SpecError("seeds.count", f"must be in [1, {MAX_SEEDS}], got {count}")
        if start < 0:
            raise SpecError("seeds.start", f"must be >= 0, got {start}")
        return tuple(range(start, start + count))
    if isinstance(v, list):
        if not v or len(v) > MAX_SEEDS:
            raise SpecError("seeds", f"must list 1..{MAX_SEEDS} seeds, got {len(v)}")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in v):
            raise SpecError("seeds", "must be non-negative integers")
        if len(set(v)) != len(v):
            raise SpecError("seeds", "must not repeat a seed")
        return tuple(v)
    raise SpecError("seeds", f"must be a list of integers or {{start = 0, count = N}}, got {v!r}")


def parse_spec(data: dict[str, Any], default_name: str = "sweep") -> Spec:
    """Validate a decoded TOML table into a :class:`Spec`.

    Raises:
        SpecError: naming the first offending field.

    """
    if not isinstance(data, dict):
        raise SpecError("spec", "must be a TOML table")
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise SpecError(sorted(unknown)[0], f"unknown field; the spec knows {sorted(SPEC_KEYS)}")
    exp = data.get("experiment")
    if exp is None:
        raise SpecError("experiment", f"is required; one of {sorted(EXPERIMENTS)}")
    if exp not in EXPERIMENTS:
        raise SpecError("experiment", f"{exp!r} is not one of {sorted(EXPERIMENTS)}")
    if "seeds" not in data:
        raise SpecError("seeds", "is required, e.g. seeds = {start = 0, count = 30}")
    seeds = _seeds(data["seeds"])
    chunk = data.get("chunk", len(seeds))
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise SpecError("chunk", f"must be a positive integer (seeds per task), got {chunk!r}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise SpecError("name", f"must be a non-empty string, got {name!r}")
    out = data.get("out")
    if out is not None and (not isinstance(out, str) or not out):
        raise SpecError("out", f"must be a folder path, got {out!r}")
    device = data.get("device", "cpu")
    if device not in ("cpu", "cuda"):
        raise SpecError("device", f"must be 'cpu' or 'cuda', got {device!r}")
    res = data.get("resources", {"num_cpus": 1})
    if not isinstance(res, dict):
        raise SpecError("resources", "must be a table, e.g. {num_cpus = 1, num_gpus = 0}")
    for k, v in res.items():
        if k not in RESOURCE_KEYS:
            raise SpecError(f"resources.{k}", f"unknown resource; use {sorted(RESOURCE_KEYS)}")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise SpecError(f"resources.{k}", f"must be a non-negative number, got {v!r}")
    res = {"num_cpus": 1, **res}
    if device == "cuda" and not res.get("num_gpus"):
        raise SpecError("resources.num_gpus", "device = 'cuda' needs num_gpus > 0 per task")
    params = _check_params("params", data.get("params", {}))
    arms_raw = data.get("arms", [{}])
    if not isinstance(arms_raw, list) or not arms_raw:
        raise SpecError("arms", "must be a non-empty array of tables ([[arms]])")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise SpecError("grid", "must be a table of lists, e.g. lr = [0.1, 0.05]")
    for k, v in grid.items():
        if not isinstance(v, list) or not v or not all(_is_scalar(x) for x in v):
            raise SpecError(f"grid.{k}", f"must be a non-empty list of numbers/strings/booleans, got {v!r}")
    arms: list[tuple[str, dict[str, Any]]] = []
    for i, a in enumerate(arms_raw):
        a = _check_params(f"arms[{i}]", a)
        arm_name = a.pop("name", None)
        if arm_name is not None and (not isinstance(arm_name, str) or not arm_name):
            raise SpecError(f"arms[{i}].name", f"must be a non-empty string, got {arm_name!r}")
        for point in itertools.product(*grid.values()):
            g = dict(zip(grid, point))
            p = {**params, **a, **g}
            parts = ([arm_name] if arm_name else []) + [f"{k}={v}" for k, v in g.items()]
            arms.append((",".join(parts) or f"arm{i}", p))
    names = [n for n, _ in arms]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise SpecError("arms", f"two arms are both called {dup!r}; give each [[arms]] entry a distinct name")
    n_tasks = len(arms) * math.ceil(len(seeds) / chunk)
    if n_tasks > MAX_TASKS:
        raise SpecError("chunk", f"the sweep has {n_tasks} tasks (> {MAX_TASKS}); raise chunk")
    report = data.get("report", {})
    if not isinstance(report, dict):
        raise SpecError("report", "must be a table")
    return Spec(name=name, experiment=exp, seeds=seeds, chunk=chunk, out=out, device=device, resources=res,
                arms=tuple(arms), report=report)


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and validate a TOML spec file (:class:`SpecError` on any problem)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("SPEC", f"no such file {str(p)!r}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SpecError("SPEC", f"{p} is not valid TOML: {e}") from None
    return parse_spec(data, default_name=p.stem)


# ---- running one task -------------------------------------------------------------------------
def experiment_function(name: str) -> Callable[..., list[dict[str, Any]]]:
    """The ``run_seeds`` function registered as ``name`` (lazy import from the fixed table)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment {name!r} is not one of {sorted(EXPERIMENTS)}")
    module, fn = EXPERIMENTS[name].split(":")
    return getattr(importlib.import_module(module), fn)


def start_local_env() -> None:
    """Environment for starting embedded Ray: workers at the driver's own priority.

    Ray's raylet renices its workers by +15 by default; on a shared machine under ``nice -n 5``
    that leaves the sweep at niceness 19 behind every other job. Whoever wants the sweep lower
    starts the driver with ``nice``; the workers inherit that (``RAY_worker_niceness=0``).
    """
    os.environ.setdefault("RAY_worker_niceness", "0")


def one_thread() -> None:
    """One torch intra-op thread in this process (the workers are the parallelism)."""
    for k, v in THREAD_ENV.items():
        os.environ.setdefault(k, v)
    from dynamics.threads import configure_threads

    configure_threads(1)


def run_task(experiment: str, params: dict[str, Any], seeds: list[int], device: str = "cpu") -> dict[str, Any]:
    """Run one task in this process and return its result record (what the result file holds).

    Raises:
        whatever the experiment raises; :func:`run_sweep` catches it per task.

    """
    one_thread()
    t0 = time.perf_counter()
    rows = experiment_function(experiment)(dict(params), list(seeds), device)
    seconds = time.perf_counter() - t0
    if not isinstance(rows, list) or len(rows) != len(seeds):
        raise ValueError(f"experiment {experiment!r} returned {type(rows).__name__} for {len(seeds)} seeds; "
                         "run_seeds must return one dict per seed")
    for s, r in zip(seeds, rows):
        if not isinstance(r, dict) or r.get("seed") != s:
            raise ValueError(f"experiment {experiment!r}: row for seed {s} lacks 'seed': {s}")
    return {"results": rows, "seconds": seconds, "host": socket.gethostname(), "pid": os.getpid()}


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, allow_nan=True))
    os.replace(tmp, path)


def result_path(out: Path, task: Task) -> Path:
    return out / "results" / f"{task.key}.json"


def load_results(out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All result records of a sweep folder (one per finished task), in file-name order."""
    folder = Path(out) / "results"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


# ---- the sweep --------------------------------------------------------------------------------
@dataclass
class SweepOutcome:
    """What :func:`run_sweep` returns."""

    out: Path
    ran: list[Task]
    skipped: list[Task]
    failed: list[tuple[Task, str]]  # (task, one-line error)
    seconds: float
    startup_seconds: float


def default_workers(n_tasks: int) -> int:
    """One worker per core (one torch thread each), never more than there are tasks."""
    return max(1, min(os.cpu_count() or 1, n_tasks))


def _record(spec: Spec, task: Task, res: dict[str, Any]) -> dict[str, Any]:
    return {"sweep": spec.name, "experiment": spec.experiment, "device": spec.device, **task.config(), **res}


def run_sweep(spec: Spec, out: str | os.PathLike[str], *, workers: Optional[int] = None,
              address: Optional[str] = None, use_ray: bool = True, progress: bool = True,
              log: Callable[[str], Any] = print) -> SweepOutcome:
    """Run every task of ``spec`` whose result file is missing; write one result file per task.

    Args:
        spec: The validated spec.
        out: Result folder (``results/``, ``failed/``, ``sweep.json`` go there).
        workers: Local Ray CPUs (default :func:`default_workers`); ignored when joining a cluster.
        address: ``None`` for embedded local Ray; ``"auto"`` or a cluster address to join one.
            If Ray is already initialised in this process (tests), it is used as is.
        use_ray: ``False`` runs the tasks one after another in this process (reference, bench).
        progress: Show a tqdm bar over tasks.
        log: Where one-line messages (failures) go.

    Returns:
        A :class:`SweepOutcome` (failed tasks are listed, never raised).

    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "sweep.json", spec.to_dict())
    tasks = spec.tasks()
    todo = [t for t in tasks if not result_path(out, t).exists()]
    skipped = [t for t in tasks if result_path(out, t).exists()]
    ran: list[Task] = []
    failed: list[tuple[Task, str]] = []
    t_start = time.perf_counter()
    startup = 0.0

    def done(task: Task, res: Optional[dict[str, Any]], err: Optional[str]) -> None:
        if err is None:
            write_json_atomic(result_path(out, task), _record(spec, task, res))
            stale = out / "failed" / f"{task.key}.json"
            if stale.exists():
                stale.unlink()
            ran.append(task)
        else:
            failed.append((task, err))
            write_json_atomic(out / "failed" / f"{task.key}.json", {**task.config(), "error": err})
            log(f"task failed: arm {task.arm!r}, seeds {list(task.seeds)}, params {json.dumps(task.params)}: {err}")

    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"{spec.name}: tasks", unit="task")
    try:
        if not todo:
            pass
        elif not use_ray:
            for t in todo:
                try:
                    res = run_task(spec.experiment, t.params, list(t.seeds), spec.device)
                    done(t, res, None)
                except Exception as e:  # noqa: BLE001 - one task's crash must not stop the sweep
                    done(t, None, _one_line(e))
                if bar is not None:
                    bar.update(1)
        else:
            import ray

            t0 = time.perf_counter()
            if not ray.is_initialized():
                env = {"env_vars": dict(THREAD_ENV)}
                if address is None:
                    start_local_env()
                    # address="local": always a fresh embedded instance, even if a `ray start` cluster
                    # (or a stale record of one) exists on this machine
                    ray.init(address="local", num_cpus=workers or default_workers(len(todo)),
                             include_dashboard=False, runtime_env=env, log_to_driver=False, configure_logging=False)
                else:  # a cluster: ship this checkout to the workers (they need the same Python packages)
                    env.update(working_dir=str(REPO_ROOT), excludes=CLUSTER_EXCLUDES)
                    ray.init(address=address, runtime_env=env, log_to_driver=False, configure_logging=False)
            startup = time.perf_counter() - t0
            remote = ray.remote(max_retries=0, **_ray_resources(spec.resources))(run_task)
            pending = {remote.remote(spec.experiment, t.params, list(t.seeds), spec.device): t for t in todo}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    t = pending.pop(ref)
                    try:
                        done(t, ray.get(ref), None)
                    except Exception as e:  # noqa: BLE001 - RayTaskError wraps the task's exception
                        done(t, None, _one_line(getattr(e, "cause", None) or e))
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return SweepOutcome(out, ran, skipped, failed, time.perf_counter() - t_start, startup)


def _ray_resources(res: dict[str, float]) -> dict[str, Any]:
    return {k: v for k, v in res.items() if v}


def _one_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    tail = msg[-1] if msg else ""
    if "Traceback" in str(e) or not tail:  # a RayTaskError without its cause: keep the last line
        tail = traceback.format_exception_only(type(e), e)[-1].strip()
    return f"{type(e).__name__}: {tail}"[:500]


# ---- the in-process reference (tests, bench) -------------------------------------------------
def run_inline(experiment: str, params: dict[str, Any], seeds: Iterable[int], device: str = "cpu") -> list[dict]:
    """The experiment's per-seed rows for ``seeds`` in this process, in one call (no Ray, no files)."""
    return experiment_function(experiment)(dict(params), list(seeds), device)


# ---- the toy experiment -----------------------------------------------------------------------
TOY_KEYS = {"game", "algorithm", "steps", "start_radius", "tol"}


def toy_run_seeds(params: dict[str, Any], seeds: list[int], device: str = "cpu") -> list[dict[str, Any]]:
    """Convergence of a toy-game algorithm from one random start per seed (all seeds in one run).

    ``params``: ``game`` (registered name), ``algorithm`` (registered name), ``steps``,
    ``start_radius`` (starts uniform in [-r, r]^d, from the seed alone), ``tol`` (converged if the
    final distance to the game's equilibrium is below it); every other key is an algorithm
    hyperparameter. Per seed: ``final_distance``, ``converged``, ``diverged``, ``start``.
    """
    import torch

    import dynamics

    p = dict(params)
    game_name = p.pop("game", "bilinear")
    algo_name = p.pop("algorithm", "gda")
    steps = int(p.pop("steps", 200))
    radius = float(p.pop("start_radius", 1.0))
    tol = float(p.pop("tol", 1e-3))
    game = dynamics.make_game(game_name)
    algo = dynamics.make_algorithm(algo_name, **p)
    d = game.dim_x + game.dim_y
    starts = torch.stack([(2 * torch.rand(d, generator=torch.Generator().manual_seed(int(s)),
                                          dtype=torch.float64) - 1) * radius for s in seeds])  # (S, D)
    traj = dynamics.run(game, algo, starts, steps=steps, device=device, dtype=torch.float64, record_every=steps,
                        metrics=False)
    eq = game.equilibrium()
    z = traj.z_final  # (S, D)
    if eq is not None:
        zs = torch.tensor([*eq[0], *eq[1]], dtype=z.dtype, device=z.device)
        dist = (z - zs).norm(dim=1)
    else:
        dist = torch.full((len(seeds),), float("nan"), dtype=z.dtype)
    div = traj.diverged.cpu()
    return [{"seed": int(s), "final_distance": float(dist[i]), "converged": bool(dist[i] < tol) and not bool(div[i]),
             "diverged": bool(div[i]), "start": [float(v) for v in starts[i]]} for i, s in enumerate(seeds)]


# ---- summary ----------------------------------------------------------------------------------
def summary_table(out: str | os.PathLike[str]) -> str:
    """Markdown: per arm, seeds done, summed task wall seconds, and the mean of each numeric metric."""
    recs = load_results(out)
    by_arm: dict[str, list[dict[str, Any]]] = {}
    secs: dict[str, float] = {}
    for r in recs:
        by_arm.setdefault(r["arm"], []).extend(r["results"])
        secs[r["arm"]] = secs.get(r["arm"], 0.0) + float(r.get("seconds", 0.0))
    if not by_arm:
        return "(no results yet)"
    keys: list[str] = []
    for rows in by_arm.values():
        for k, v in rows[0].items():
            if k != "seed" and k not in keys and isinstance(v, (int, float)) and not isinstance(v, str):
                keys.append(k)
    keys = keys[:8]
    lines = ["| arm | seeds | task s (sum) | " + " | ".join(f"mean {k}" for k in keys) + " |",
             "|---|---|---|" + "---|" * len(keys)]
    for arm, rows in by_arm.items():
        cells = []
        for k in keys:
            vals = [float(r[k]) for r in rows if isinstance(r.get(k), (int, float))]
            cells.append(f"{sum(vals) / len(vals):.4g}" if vals else "")
        lines.append(f"| {arm} | {len(rows)} | {secs[arm]:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---- CLI --------------------------------------------------------------------------------------
PROG = "python -m gan_demo.sweep"
#: a spec is a few hundred bytes; refuse anything that is clearly not one before reading it
MAX_SPEC_BYTES = 1 << 20


def make_parser() -> argparse.ArgumentParser:
    from dynamics.cli import ArgumentParser, value_type

    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("spec", type=Path, help="sweep spec (TOML), e.g. sweeps/toy.toml")
    p.add_argument("--out", type=Path, default=None,
                   help="result folder (default: the spec's out, else runs/sweeps/NAME)")
    p.add_argument("--workers", type=value_type("int", low=1, high=4096), default=None,
                   help="local Ray CPUs (default: cores, at most the tasks)")
    p.add_argument("--address", default=None,
                   help="join a running Ray cluster: 'auto' or its address (default: start local Ray)")
    p.add_argument("--no-ray", action="store_true", help="run the tasks one after another in this process")
    p.add_argument("--no-progress", action="store_true")
    return p


def _main(argv: Optional[list[str]] = None) -> int:
    from dynamics.cli import check_readable, check_writable

    args = make_parser().parse_args(sys.argv[1:] if argv is None else argv)
    spec = load_spec(check_readable(args.spec, MAX_SPEC_BYTES, what="SPEC"))
    out = check_writable(args.out or Path(spec.out or f"runs/sweeps/{spec.name}"), is_dir=True, what="--out")
    oc = run_sweep(spec, out, workers=args.workers, address=args.address, use_ray=not args.no_ray,
                   progress=not args.no_progress)
    print(f"{spec.name}: {len(oc.ran)} task(s) ran, {len(oc.skipped)} skipped (done before), {len(oc.failed)} failed;"
          f" {oc.seconds:.1f} s wall (Ray start-up {oc.startup_seconds:.1f} s); results in {out}/results")
    print(summary_table(out))
    for t, err in oc.failed:
        print(f"FAILED arm {t.arm!r} seeds {list(t.seeds)}: {err}")
    return 1 if oc.failed else 0


def main(argv: Optional[list[str]] = None) -> int:
    """The CLI: a bad spec or flag prints one line naming the field and exits 2; failed tasks exit 1."""
    from dynamics.cli import front_door

    return front_door(PROG)(_main)(argv)


if __name__ == "__main__":
    raise SystemExit(main())
