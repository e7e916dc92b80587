"""Numbers behind every picture: runs, vector-field grids and basin maps as plain numpy.

No Streamlit here (the pages wrap these in ``st.cache_data``) and no plotting: the Plotly figures
(:mod:`app.plots`) and the GIF/MP4 renderer (:mod:`app.export`) consume the same arrays, so the
browser and the exported file show the same numbers.

Configurations are passed as plain hashable data so they can key a cache and a URL:

* a game config is ``(name, ((param, value), ...))``;
* an algorithm config is ``(name, ((param, value), ...))``; wrappers (``averaging``,
  ``lookahead``) carry ``("base", "gda")`` and ``("base_kwargs", ((param, value), ...))``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch

import dynamics

Items = tuple[tuple[str, Any], ...]
GameConfig = tuple[str, Items]
AlgoConfig = tuple[str, Items]

#: caps that keep one page render interactive on a 2-core machine
MAX_STEPS = 5000
MAX_BASIN_RES = 81
MAX_FIELD_RES = 200


def items(d: dict[str, Any]) -> Items:
    """A dict as sorted, hashable items (nested dicts become nested items)."""
    return tuple(sorted((k, items(v) if isinstance(v, dict) else v) for k, v in d.items()))


def make_game(cfg: GameConfig) -> Any:
    """Build the game of a config."""
    name, params = cfg
    return dynamics.make_game(name, **dict(params))


def make_algorithm(cfg: AlgoConfig) -> Any:
    """Build the algorithm of a config (wrappers get their base by name)."""
    name, params = cfg
    kw = dict(params)
    if isinstance(kw.get("base_kwargs"), tuple):
        kw["base_kwargs"] = dict(kw["base_kwargs"])
    return dynamics.make_algorithm(name, **kw)


def algo_label(cfg: AlgoConfig) -> str:
    """Short legend label, e.g. ``extragradient (η=0.1)``."""
    name, params = cfg
    kw = dict(params)
    lr = kw.get("lr")
    if lr is None and isinstance(kw.get("base_kwargs"), tuple):
        lr = dict(kw["base_kwargs"]).get("lr")
    base = f"[{kw['base']}]" if "base" in kw else ""
    if not isinstance(lr, (int, float)):
        return f"{name}{base}"
    sched = kw.get("schedule")
    return f"{name}{base} (η={lr:g}" + (f", {sched})" if sched not in (None, "constant") else ")")


@dataclass
class Run:
    """One algorithm from one start, reduced to what the plots need (T recorded iterates)."""

    label: str
    name: str
    steps: np.ndarray  # (T,) step index
    xy: np.ndarray  # (T, 2) first coordinate of x and of y; NaN after a divergence
    f: np.ndarray  # (T,)
    grad_norm: np.ndarray  # (T,)
    dist: Optional[np.ndarray]  # (T,) distance to the known equilibrium (all coordinates)
    diverged_at: int  # -1 if finite
    flags: Optional[np.ndarray] = None  # (T,) greedy_minmax accept (1) / reject (2) / unconditional (3)
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    stopped_at: Optional[int] = None  # the step a time budget ended the run at (None: ran every step)

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0

    def last_finite(self) -> int:
        """Index of the last finite recorded iterate."""
        ok = np.flatnonzero(np.isfinite(self.xy).all(axis=1))
        return int(ok[-1]) if ok.size else 0

    def status(self) -> str:
        """One line for the page: how the run ended."""
        if self.diverged:
            return f"diverged at step {self.diverged_at}"
        if self.stopped_at is not None:
            return f"stopped at step {self.stopped_at} by the server's time budget"
        if self.dist is not None:
            return f"distance to equilibrium {self.dist[-1]:.3g} after {int(self.steps[-1])} steps"
        return f"|ξ| = {self.grad_norm[-1]:.3g} after {int(self.steps[-1])} steps"


def _start(game: Any, x0: float, y0: float) -> tuple[np.ndarray, np.ndarray]:
    # the page sets the first coordinates; higher-dimensional games start on the diagonal
    return np.full(game.dim_x, float(x0)), np.full(game.dim_y, float(y0))


def simulate(game_cfg: GameConfig, algo_cfg: AlgoConfig, x0: float, y0: float, steps: int,
             seed: int = 0, stop: Optional[Stopper] = None) -> Run:
    """Run one algorithm from one start and reduce the trajectory to numpy.

    ``stop`` (a :class:`Stopper`) ends the run at its budget, raising :class:`Truncated` with the
    shortened run (so a cache never keeps it), and raises :class:`Cancelled` when the visitor is gone.

    Raises:
        ValueError: for bad configs or sizes (the engine's messages, or the step cap).

    """
    if not 0 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {steps}")
    game = make_game(game_cfg)
    algo = make_algorithm(algo_cfg)
    xs, ys = _start(game, x0, y0)
    if stop is not None:
        stop.stopped_at = None
        if stop.expired():  # an earlier run used the view's whole budget
            stop.stopped_at = 0
    traj = dynamics.run(game, algo, xs, ys, steps=0 if stop is not None and stop.stopped_at == 0 else int(steps),
                        seed=int(seed), callback=stop)
    xy = torch.stack([traj.x[:, 0, 0], traj.y[:, 0, 0]], dim=1).numpy()  # (T, 2)
    dist = traj.distance_to_equilibrium()
    extras = {k: v[:, 0].numpy() for k, v in traj.extras.items()}
    flags = extras.get("greedy_flag")
    if flags is not None:
        flags = np.nan_to_num(np.asarray(flags, dtype=float).reshape(len(xy), -1)[:, 0]).astype(int)
    run = Run(label=algo_label(algo_cfg), name=algo_cfg[0], steps=traj.steps.numpy(), xy=xy,
              f=traj.f[:, 0].numpy(), grad_norm=traj.grad_norm[:, 0].numpy(),
              dist=None if dist is None else dist[:, 0].numpy(),
              diverged_at=int(traj.diverged_at[0]), flags=flags, extras=extras,
              stopped_at=None if stop is None else stop.stopped_at)
    if run.stopped_at is not None and run.stopped_at < int(steps):  # the budget ran out before the last step
        raise Truncated(run)
    run.stopped_at = None
    return run


@dataclass
class FieldGrid:
    """f on a fine grid and the descent field on a coarse one, over the plotting box."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    f: np.ndarray  # (n, n), f[j, i] = f(xs[i], ys[j])
    qx: np.ndarray  # (m, m) quiver anchor x
    qy: np.ndarray  # (m, m)
    u: np.ndarray  # (m, m) -xi_x: the direction the flow moves
    v: np.ndarray  # (m, m) -xi_y
    equilibrium: Optional[tuple[float, float]]
    box: tuple[tuple[float, float], tuple[float, float]]
    planar: bool  # both players are scalars, so f and xi live in this plane


def game_box(game_cfg: GameConfig) -> tuple[tuple[float, float], tuple[float, float]]:
    """The game's plotting box as plain floats."""
    (a, b), (c, d) = make_game(game_cfg).box()
    return (float(a), float(b)), (float(c), float(d))


def field_grid(game_cfg: GameConfig, n: int = 80, m: int = 17,
               box: Optional[tuple[tuple[float, float], tuple[float, float]]] = None) -> FieldGrid:
    """The objective f and the flow -xi over the box.

    For games with vector players only the equilibrium is kept (``planar=False``): a 2-D slice of a high-
    dimensional f would mislead.
    """
    n = int(np.clip(n, 8, MAX_FIELD_RES))
    m = int(np.clip(m, 5, 41))
    game = make_game(game_cfg)
    box = box or game_box(game_cfg)
    (x_lo, x_hi), (y_lo, y_hi) = box
    xs, ys = np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n)
    eq = game.equilibrium()
    eq2 = None if eq is None else (float(eq[0][0]), float(eq[1][0]))
    planar = game.dim_x == 1 and game.dim_y == 1
    if not planar:
        empty = np.zeros((0, 0))
        return FieldGrid(xs, ys, np.full((n, n), np.nan), empty, empty, empty, empty, eq2, box, False)
    gx, gy = np.meshgrid(xs, ys)  # (n, n)
    with torch.no_grad():
        zt = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float64)
        f = game.value(zt[:, :1], zt[:, 1:]).numpy().reshape(n, n)
        qxs, qys = np.linspace(x_lo, x_hi, m), np.linspace(y_lo, y_hi, m)
        qx, qy = np.meshgrid(qxs, qys)  # (m, m)
        zq = torch.as_tensor(np.stack([qx.ravel(), qy.ravel()], 1), dtype=torch.float64)
        xi = game.xi(zq).numpy()  # (m*m, 2)
    u, v = -xi[:, 0].reshape(m, m), -xi[:, 1].reshape(m, m)
    return FieldGrid(xs, ys, f, qx, qy, u, v, eq2, box, True)


@dataclass
class Basin:
    """Final distance to the equilibrium from a grid of starts (one batched run)."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    final: np.ndarray  # (n, n) final distance (|xi| if the game has no known equilibrium); NaN if diverged
    diverged_at: np.ndarray  # (n, n) step of divergence, -1 if finite
    measure: str  # "distance to equilibrium" or "|ξ|"


def basin(game_cfg: GameConfig, algo_cfg: AlgoConfig, n: int = 41, steps: int = 200, seed: int = 0,
          box: Optional[tuple[tuple[float, float], tuple[float, float]]] = None,
          stop: Optional[Stopper] = None) -> Basin:
    """Run the algorithm from an n×n grid of starts at once (B = n², one call to ``dynamics.run``).

    Raises:
        ValueError: for bad configs, or when ``stop``'s deadline ends the run before its last step
            (a basin map of unfinished runs would mislead).
        Cancelled: when ``stop`` finds the visitor gone.
        Busy: when ``stop`` is given and every long-computation slot of the server stays taken.

    """
    n = int(np.clip(n, 3, MAX_BASIN_RES))
    game = make_game(game_cfg)
    algo = make_algorithm(algo_cfg)
    (x_lo, x_hi), (y_lo, y_hi) = box or game_box(game_cfg)
    xs, ys = np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n)
    x0 = np.repeat(gx.reshape(-1, 1), game.dim_x, axis=1)  # (B, dim_x)
    y0 = np.repeat(gy.reshape(-1, 1), game.dim_y, axis=1)  # (B, dim_y)
    # only the last iterate matters: record every `steps` steps to keep memory flat
    if stop is not None:
        stop.stopped_at = None
    # a budgeted map holds one of the server's long-computation slots while it runs
    with long_job(stopper=stop) if stop is not None else nullcontext():
        traj = dynamics.run(game, algo, x0, y0, steps=int(steps), seed=int(seed), record_every=max(1, int(steps)),
                            callback=stop)
    if stop is not None and stop.stopped_at is not None and stop.stopped_at < int(steps):
        raise ValueError(f"the basin map reached this server's time budget at step {stop.stopped_at} of {steps}; "
                         "choose a coarser grid or fewer steps")
    dist = traj.distance_to_equilibrium()
    final = (traj.grad_norm[-1] if dist is None else dist[-1]).numpy().reshape(n, n)
    div = traj.diverged_at.numpy().reshape(n, n)
    final = np.where(div >= 0, np.nan, final)
    return Basin(xs, ys, final, div, "|ξ|" if dist is None else "distance to equilibrium")


__all__ = ["Run", "FieldGrid", "Basin", "simulate", "field_grid", "basin", "items", "make_game",
           "make_algorithm", "algo_label", "game_box", "MAX_STEPS", "Estimate", "estimate", "affordable_steps",
           "plan_basin", "estimate_spectrum", "Stopper", "Cancelled", "Truncated", "Busy", "long_job",
           "TIME_BUDGET_S"]


# ---- local linear analysis (dynamics.spectrum) ----------------------------------------------
@dataclass
class GameSpectrum:
    """Eigenvalues of the game Jacobian at a point, and who owns each (share in x)."""

    eigvals: np.ndarray  # (D,) complex
    share_x: np.ndarray  # (D,) in [0, 1]
    jacobian: np.ndarray  # (D, D)


def game_spectrum(game_cfg: GameConfig, z: tuple[float, ...]) -> GameSpectrum:
    """``spectrum.eigen_split`` and ``game_jacobian`` at one point z (D,)."""
    from dynamics import spectrum

    game = make_game(game_cfg)
    zz = np.asarray(z, dtype=float)[None, :]
    ev, share = spectrum.eigen_split(game, zz)
    jac = spectrum.game_jacobian(game, zz)
    return GameSpectrum(ev[0].numpy(), share[0].numpy(), jac[0].numpy())


@dataclass
class StepSpectrum:
    """One algorithm's step map at a point: its eigenvalues and spectral radius (NaN if undefined)."""

    label: str
    eigvals: np.ndarray  # (S,) complex; empty if the step Jacobian is not finite there
    radius: float
    note: str = ""


def step_spectrum(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...]) -> StepSpectrum:
    """Eigenvalues of the Jacobian of one step (augmented with the algorithm's memory)."""
    from dynamics import spectrum

    game, algo = make_game(game_cfg), make_algorithm(algo_cfg)
    jac = spectrum.step_jacobian(game, algo, np.asarray(z, dtype=float)[None, :])[0].numpy()  # (S, S)
    if not np.isfinite(jac).all():
        # e.g. Adam exactly at a critical point, where sqrt(v) has no derivative
        return StepSpectrum(algo_label(algo_cfg), np.zeros(0, complex), float("nan"),
                            "the step is not differentiable at this point")
    ev = np.linalg.eigvals(jac)
    return StepSpectrum(algo_label(algo_cfg), ev, float(np.abs(ev).max()))


#: a sweep computes at most this many step-map Jacobians in one batch (a stability map: whole η rows), so a
#: Stopper can end it between batches; larger batches also cost more per point on the noisy Dirac-GAN
#: (momentum's 50 × 41 map there: 12.2 CPU-s in one batch, 2.5 CPU-s row by row; unrolled × 50: about
#: 0.1 s per point in batches of ≤ 25, 0.22 s in batches of 50 or more; measured with other jobs running)
SWEEP_BATCH_POINTS = 25


class SweepStopped(Exception):  # noqa: N818 - a result, not an error: it carries the partial sweep
    """A sweep ended by its stopper between batches: ``result`` is what the sweep returns, NaN where it
    did not get to; ``done`` of ``total`` points were computed (raised so no cache keeps it).
    """

    def __init__(self, result: tuple, done: int, total: int) -> None:
        super().__init__(f"stopped after {done} of {total} points by the time budget")
        self.result, self.done, self.total = result, done, total


def _next_batch(stop: Optional[Stopper], result: tuple, done: int, total: int) -> None:
    """Before each batch of a sweep: :class:`Cancelled` if the visitor left, :class:`SweepStopped` past
    the budget.
    """
    if stop is None:
        return
    stop.check()
    if stop.expired():
        raise SweepStopped(result, done, total)


def stability_curve(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], lr_lo: float = 1e-3,
                    lr_hi: float = 10.0, n: int = 120, stop: Optional[Stopper] = None) -> tuple[np.ndarray, np.ndarray]:
    """Spectral radius of the step map against the step size η on a log grid: (n,), (n,).

    Computed in batches of :data:`SWEEP_BATCH_POINTS`; ``stop`` may end it between them (:class:`SweepStopped`).
    """
    from dynamics import spectrum

    game, algo = make_game(game_cfg), make_algorithm(algo_cfg)
    n = int(np.clip(n, 5, 400))
    values = np.logspace(np.log10(lr_lo), np.log10(lr_hi), n)
    if "lr" not in {f.name for f in dynamics.hparams(algo)}:
        raise ValueError(f"{algo_cfg[0]} has no step size lr to sweep")
    zz = np.asarray(z, dtype=float)[None, :]
    if not np.isfinite(step_spectrum(game_cfg, algo_cfg, z).radius):
        return values, np.full(n, np.nan)
    radii = np.full(n, np.nan)  # (n,)
    for i in range(0, n, SWEEP_BATCH_POINTS):
        _next_batch(stop, (values, radii), i, n)
        part = values[i:i + SWEEP_BATCH_POINTS]
        radii[i:i + len(part)] = np.asarray(spectrum.stability_sweep(game, algo, zz, param="lr", values=part))
    return values, radii


def stability_map(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], param2: str,
                  values2: tuple[float, ...], lr_lo: float = 1e-2, lr_hi: float = 3.0,
                  n: int = 60, stop: Optional[Stopper] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectral radius over (η, param2): lrs (N,), values2 (M,), radius (N, M).

    Computed a few η rows at a time (about :data:`SWEEP_BATCH_POINTS` points); ``stop`` may end it between
    them (:class:`SweepStopped`).
    """
    from dynamics import spectrum

    game, algo = make_game(game_cfg), make_algorithm(algo_cfg)
    lrs = np.logspace(np.log10(lr_lo), np.log10(lr_hi), int(np.clip(n, 5, 200)))
    v2 = np.asarray(values2, dtype=float)
    zz = np.asarray(z, dtype=float)[None, :]
    radii = np.full((len(lrs), len(v2)), np.nan)  # (N, M)
    rows = max(1, SWEEP_BATCH_POINTS // max(len(v2), 1))
    for i in range(0, len(lrs), rows):
        _next_batch(stop, (lrs, v2, radii), i * len(v2), radii.size)
        part = lrs[i:i + rows]
        radii[i:i + len(part)] = np.asarray(spectrum.stability_sweep(game, algo, zz, param="lr", values=part,
                                                                     param2=param2, values2=v2), dtype=float)
    return lrs, v2, radii


# ---- cost budget: what a URL or a click may start ---------------------------------------------
# Every run the app starts is estimated *before* it runs; what exceeds the budget is shrunk (fewer
# steps, a coarser basin grid) and the page says so. A wall-clock deadline passed to the engine's
# ``callback`` is the safety net for what the estimate misses, and the same callback stops a run
# whose visitor changed the inputs or left. Limits are per page view and documented in README.md
# ("Serving a class").


def _env_float(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name, default))
    except ValueError:
        return default
    return v if math.isfinite(v) and v > 0 else default


#: seconds of one core that one page view (every run on it together) may use
TIME_BUDGET_S = _env_float("SADDLE_TIME_BUDGET_S", 10.0)
#: peak working memory one run may allocate (batched noise samples dominate)
MEMORY_BUDGET_BYTES = _env_float("SADDLE_MEMORY_BUDGET_MB", 400.0) * 2**20
#: long computations (basin maps, GAN training) running at once in this server process: one core is
#: left to everyone else's reruns (1 on the project's 2-core machine)
LONG_JOBS = max(1, int(_env_float("SADDLE_LONG_JOBS", max(1, (os.cpu_count() or 2) - 1))))
#: how long a long computation waits for a free slot before the page says the server is busy
LONG_JOB_WAIT_S = _env_float("SADDLE_LONG_JOB_WAIT_S", 30.0)

# Per-step cost model, measured with dynamics.run on the project's 2-core machine (one torch thread,
# float64): seconds per step ≈ algo_factor × (STEP_OVERHEAD_S + STEP_ELEMENT_S × starts × game_factor).
# gda on bilinear: 5.4e-5 s/step at 1 start, 3.6e-4 s at 6561 starts; the constants are rounded up.
STEP_OVERHEAD_S = 8e-5
STEP_ELEMENT_S = 8e-8
BYTES_PER_ELEMENT = 80.0  # peak working memory per (start × noise draw) of one step, measured ~65 B
#: relative per-step cost of each algorithm against gda (same machine, 1681 starts); unknown names cost 6
ALGO_COST = {
    "gda": 1.0, "alt_gda": 1.4, "extragradient": 1.4, "extra_past": 1.2, "ogda": 1.2, "momentum": 1.6,
    "adam": 1.9, "sgda": 1.6, "double_sgda": 2.3, "consensus": 2.2, "gd_reg": 3.0, "sga": 4.3,
    "conjugate_gradient": 4.3, "cgd": 5.2, "ftr": 4.7, "unrolled": 6.0, "nested": 2.4, "greedy_minmax": 2.4,
}


class Cancelled(Exception):  # noqa: N818 - not an error to show: the visitor moved on
    """The visitor changed the inputs or left while a run was computing; its result is thrown away."""


class Truncated(Exception):  # noqa: N818 - a result, not an error: it carries the cut-short run
    """A run ended by the time budget: ``run`` holds what was computed (raised so no cache keeps it)."""

    def __init__(self, run: Any) -> None:
        super().__init__(f"stopped at step {getattr(run, 'stopped_at', '?')} by the time budget")
        self.run = run


class Busy(RuntimeError):
    """Every long-computation slot of this server stayed taken for the whole wait."""


@dataclass(frozen=True)
class Estimate:
    """Predicted cost of a run: seconds of one core and peak working bytes."""

    seconds: float
    bytes: float

    def fits(self, seconds: float = TIME_BUDGET_S, nbytes: float = MEMORY_BUDGET_BYTES) -> bool:
        return self.seconds <= seconds and self.bytes <= nbytes


def _num(params: dict[str, Any], name: str, default: float) -> float:
    v = params.get(name, default)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else default


def algo_factor(cfg: AlgoConfig, dim: int = 2) -> float:
    """Per-step cost of an algorithm relative to gda, growing with its inner loops (CG, unrolling, k).

    ``dim`` is the game's dimension D: conjugate gradients stop after at most about D iterations on a
    D-dimensional system (then the residual is at round-off), so ``cg_iters`` beyond that costs nothing.
    """
    name, params = cfg
    kw = dict(params)
    if name in ("averaging", "lookahead"):
        base = (str(kw.get("base", "alt_gda")), kw.get("base_kwargs", ()))
        base = base if isinstance(base[1], tuple) else (base[0], ())
        return (1.5 if name == "lookahead" else 1.0) * algo_factor(base, dim) + 0.5
    if name == "ftr":
        return 4.0 + 0.5 * min(_num(kw, "cg_iters", 5), 2 * dim + 2)
    if name == "unrolled":
        return 1.5 + 0.75 * _num(kw, "unroll_steps", 5)
    if name == "nested":
        return 1.0 + 0.28 * _num(kw, "k", 5)
    if name == "greedy_minmax":
        return 2.0 + 0.28 * _num(kw, "k", 1)
    return ALGO_COST.get(name, 6.0)


def game_factor(cfg: GameConfig) -> tuple[float, float]:
    """(time factor per start, working elements per start) of one step of a game.

    The Dirac-GAN with instance noise evaluates every start at K noise points (K Monte-Carlo draws, or 40
    quadrature nodes); the matrix games scale with their dimension.
    """
    name, params = cfg
    kw = dict(params)
    if name == "dirac_gan" and _num(kw, "sigma", 0.0) > 0:
        k = _num(kw, "noise_samples", 0) or 40.0
        return 3.0 * k, k
    d = float(game_dim(cfg))
    return max(1.0, d), max(1.0, d)


def game_dim(cfg: GameConfig) -> int:
    """An upper bound of a game's dimension D from its config (vector/matrix parameters set the size)."""
    dims = [len(v) for v in dict(cfg[1]).values() if isinstance(v, tuple)]  # vectors/matrices: row counts
    return 2 * max(dims, default=1)


def estimate(game_cfg: GameConfig, algo_cfgs: list[AlgoConfig], starts: int, steps: int) -> Estimate:
    """Seconds and peak bytes of running every algorithm in ``algo_cfgs`` from ``starts`` starts for ``steps``."""
    gt, ge = game_factor(game_cfg)
    dim = game_dim(game_cfg)
    per_step = sum(algo_factor(a, dim) for a in algo_cfgs) * (STEP_OVERHEAD_S + STEP_ELEMENT_S * starts * gt)
    return Estimate(seconds=per_step * steps, bytes=BYTES_PER_ELEMENT * starts * ge)


# Spectrum sweeps (step-map Jacobians at many step sizes): seconds per point ≈ algo_factor ×
# (SPECTRUM_POINT_S + SPECTRUM_ELEMENT_S × spectrum game factor), measured as for the runs (unrolled with
# 50 inner steps: 0.06 s for 100 points on bilinear, 15 s on the Dirac-GAN with instance noise; momentum's
# 50 × 41 stability map there: 2.5 s).
SPECTRUM_POINT_S = 3e-5
SPECTRUM_ELEMENT_S = 2.5e-5


def estimate_spectrum(game_cfg: GameConfig, algo_cfg: AlgoConfig, points: int) -> float:
    """Seconds of a sweep of ``points`` step-map Jacobians (spectra use the exact expectation: 40 nodes)."""
    name, params = game_cfg
    gt = 3.0 * 40 if name == "dirac_gan" and _num(dict(params), "sigma", 0.0) > 0 else game_factor(game_cfg)[0]
    return points * algo_factor(algo_cfg, game_dim(game_cfg)) * (SPECTRUM_POINT_S + SPECTRUM_ELEMENT_S * gt)


#: resolutions of the Spectrum page's sweeps, finest first: a sweep that does not fit the budget takes
#: the finest one that does (the stability curve's step sizes; the stability map's (η, parameter) grid)
CURVE_POINTS = (100, 50, 25, 12)
MAP_GRIDS = ((50, 41), (25, 21), (13, 11))


def plan_curves(game_cfg: GameConfig, algo_cfgs: Sequence[AlgoConfig], seconds: float,
                sizes: Sequence[int] = CURVE_POINTS) -> list[int]:
    """Points of each algorithm's stability curve within ``seconds`` for all of them together.

    Every curve gets the same resolution: the finest of ``sizes`` at which all of them fit. If even
    the coarsest does not fit them all, the first ones (in order) get the coarsest and the rest 0
    (skipped). Nothing here runs: the estimate is :func:`estimate_spectrum`.
    """
    for n in sorted(sizes, reverse=True):
        if sum(estimate_spectrum(game_cfg, a, n) for a in algo_cfgs) <= seconds:
            return [n] * len(algo_cfgs)
    n, out, left = min(sizes), [], seconds
    for a in algo_cfgs:
        cost = estimate_spectrum(game_cfg, a, n)
        out.append(n if cost <= left else 0)
        left -= cost if cost <= left else 0.0
    return out


def plan_map(game_cfg: GameConfig, algo_cfg: AlgoConfig, seconds: float,
             grids: Sequence[tuple[int, int]] = MAP_GRIDS) -> Optional[tuple[int, int]]:
    """The finest (η points, parameter values) grid of ``grids`` whose stability map fits ``seconds``
    (None if none does).
    """
    for n, m in sorted(grids, key=lambda g: g[0] * g[1], reverse=True):
        if estimate_spectrum(game_cfg, algo_cfg, n * m) <= seconds:
            return n, m
    return None


def affordable_steps(game_cfg: GameConfig, algo_cfgs: list[AlgoConfig], starts: int, steps: int,
                     seconds: float = TIME_BUDGET_S) -> int:
    """The most steps (≤ ``steps``) that every algorithm can run from ``starts`` starts within ``seconds``."""
    one = estimate(game_cfg, algo_cfgs, starts, 1).seconds
    return int(min(steps, max(1, math.floor(seconds / one)))) if one > 0 else steps


def plan_basin(game_cfg: GameConfig, algo_cfg: AlgoConfig, n: int, steps: int, grid: tuple[int, ...],
               seconds: float = TIME_BUDGET_S, nbytes: float = MEMORY_BUDGET_BYTES) -> tuple[int, int, str]:
    """A basin map that fits the budget: the finest grid ≤ ``n`` from ``grid``, then fewer steps.

    Returns ``(n, steps, notice)``; the notice is empty if nothing was shrunk.
    """
    want_n, want_steps = n, steps
    for cand in sorted((g for g in grid if g <= n), reverse=True) or [min(grid)]:
        n = cand
        if estimate(game_cfg, [algo_cfg], n * n, steps).fits(seconds, nbytes):
            break
    if estimate(game_cfg, [algo_cfg], n * n, 1).bytes > nbytes:
        raise ValueError(f"even a {n}×{n} grid of starts needs more than {nbytes / 2**20:.0f} MB of working memory "
                         "(lower noise_samples)")
    steps = affordable_steps(game_cfg, [algo_cfg], n * n, steps, seconds)
    if (n, steps) == (want_n, want_steps):
        return n, steps, ""
    return n, steps, (f"Basin map shrunk to a {n}×{n} grid and {steps} steps (asked: {want_n}×{want_n}, "
                      f"{want_steps} steps) to stay within this server's budget of {seconds:g} s per view.")


class Stopper:
    """The engine ``callback`` that stops a run at its CPU-time budget or when the visitor is gone.

    The budget counts this thread's CPU seconds (``time.thread_time``: what the run costs the
    server, not how long it waited for a core while a class shares it), with a wall-clock cap of
    ``WALL_FACTOR`` times as much. ``gone`` is polled at most every ``poll_s`` seconds (the app passes
    a check of the session's pending rerun/stop request). Past the budget the run ends early and
    keeps what it computed; when the visitor is gone, :class:`Cancelled` is raised so no cache keeps
    a cut-short result. One stopper may serve several runs: they share its budget.
    """

    WALL_FACTOR = 6.0

    def __init__(self, seconds: float = TIME_BUDGET_S, gone: Optional[Callable[[], bool]] = None,
                 poll_s: float = 0.1) -> None:
        self.seconds = seconds
        self.cpu_end = time.thread_time() + seconds
        self.wall_end = time.monotonic() + self.WALL_FACTOR * seconds
        self.gone = gone
        self.poll_s = poll_s
        self._next_poll = 0.0
        self.stopped_at: Optional[int] = None

    @classmethod
    def within(cls, seconds: float = TIME_BUDGET_S, gone: Optional[Callable[[], bool]] = None) -> Stopper:
        return cls(seconds, gone)

    def expired(self) -> bool:
        return time.thread_time() > self.cpu_end or time.monotonic() > self.wall_end

    def check(self) -> None:
        """Raise :class:`Cancelled` if the visitor is gone (polled, so cheap to call every step)."""
        now = time.monotonic()
        if self.gone is not None and now >= self._next_poll:
            self._next_poll = now + self.poll_s
            if self.gone():
                raise Cancelled("the inputs changed or the visitor left")

    def __call__(self, step: int, z: Any = None, state: Any = None) -> bool:
        self.check()
        if self.expired():
            self.stopped_at = int(step)
            return False
        return True


_LONG_SLOTS = threading.BoundedSemaphore(LONG_JOBS)


@contextmanager
def long_job(wait_s: float = LONG_JOB_WAIT_S, stopper: Optional[Stopper] = None) -> Iterator[None]:
    """Hold one of the server's ``LONG_JOBS`` slots for a long computation (basin map, GAN training).

    Waits up to ``wait_s`` (checking ``stopper`` so an abandoned wait ends), then raises :class:`Busy`.
    """
    end = time.monotonic() + wait_s
    while not _LONG_SLOTS.acquire(timeout=0.2):
        if stopper is not None:
            stopper.check()
        if time.monotonic() > end:
            raise Busy(f"all {LONG_JOBS} long-computation slots of this server stayed busy for {wait_s:g} s; "
                       "try again in a moment")
    try:
        yield
    finally:
        _LONG_SLOTS.release()
