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
        if self.dist is not None:
            return f"distance to equilibrium {self.dist[-1]:.3g} after {int(self.steps[-1])} steps"
        return f"|ξ| = {self.grad_norm[-1]:.3g} after {int(self.steps[-1])} steps"


def _start(game: Any, x0: float, y0: float) -> tuple[np.ndarray, np.ndarray]:
    # the page sets the first coordinates; higher-dimensional games start on the diagonal
    return np.full(game.dim_x, float(x0)), np.full(game.dim_y, float(y0))


def simulate(game_cfg: GameConfig, algo_cfg: AlgoConfig, x0: float, y0: float, steps: int,
             seed: int = 0) -> Run:
    """Run one algorithm from one start and reduce the trajectory to numpy.

    Raises:
        ValueError: for bad configs or sizes (the engine's messages, or the step cap).

    """
    if not 0 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {steps}")
    game = make_game(game_cfg)
    algo = make_algorithm(algo_cfg)
    xs, ys = _start(game, x0, y0)
    traj = dynamics.run(game, algo, xs, ys, steps=int(steps), seed=int(seed))
    xy = torch.stack([traj.x[:, 0, 0], traj.y[:, 0, 0]], dim=1).numpy()  # (T, 2)
    dist = traj.distance_to_equilibrium()
    extras = {k: v[:, 0].numpy() for k, v in traj.extras.items()}
    flags = extras.get("greedy_flag")
    if flags is not None:
        flags = np.nan_to_num(np.asarray(flags, dtype=float).reshape(len(xy), -1)[:, 0]).astype(int)
    return Run(label=algo_label(algo_cfg), name=algo_cfg[0], steps=traj.steps.numpy(), xy=xy,
               f=traj.f[:, 0].numpy(), grad_norm=traj.grad_norm[:, 0].numpy(),
               dist=None if dist is None else dist[:, 0].numpy(),
               diverged_at=int(traj.diverged_at[0]), flags=flags, extras=extras)


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
          box: Optional[tuple[tuple[float, float], tuple[float, float]]] = None) -> Basin:
    """Run the algorithm from an n×n grid of starts at once (B = n², one call to ``dynamics.run``)."""
    n = int(np.clip(n, 3, MAX_BASIN_RES))
    game = make_game(game_cfg)
    algo = make_algorithm(algo_cfg)
    (x_lo, x_hi), (y_lo, y_hi) = box or game_box(game_cfg)
    xs, ys = np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n)
    x0 = np.repeat(gx.reshape(-1, 1), game.dim_x, axis=1)  # (B, dim_x)
    y0 = np.repeat(gy.reshape(-1, 1), game.dim_y, axis=1)  # (B, dim_y)
    # only the last iterate matters: record every `steps` steps to keep memory flat
    traj = dynamics.run(game, algo, x0, y0, steps=int(steps), seed=int(seed), record_every=max(1, int(steps)))
    dist = traj.distance_to_equilibrium()
    final = (traj.grad_norm[-1] if dist is None else dist[-1]).numpy().reshape(n, n)
    div = traj.diverged_at.numpy().reshape(n, n)
    final = np.where(div >= 0, np.nan, final)
    return Basin(xs, ys, final, div, "|ξ|" if dist is None else "distance to equilibrium")


__all__ = ["Run", "FieldGrid", "Basin", "simulate", "field_grid", "basin", "items", "make_game",
           "make_algorithm", "algo_label", "game_box", "MAX_STEPS"]


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


def stability_curve(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], lr_lo: float = 1e-3,
                    lr_hi: float = 10.0, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Spectral radius of the step map against the step size η on a log grid: (n,), (n,)."""
    from dynamics import spectrum

    game, algo = make_game(game_cfg), make_algorithm(algo_cfg)
    n = int(np.clip(n, 5, 400))
    values = np.logspace(np.log10(lr_lo), np.log10(lr_hi), n)
    if "lr" not in {f.name for f in dynamics.hparams(algo)}:
        raise ValueError(f"{algo_cfg[0]} has no step size lr to sweep")
    zz = np.asarray(z, dtype=float)[None, :]
    if not np.isfinite(step_spectrum(game_cfg, algo_cfg, z).radius):
        return values, np.full(n, np.nan)
    return values, np.asarray(spectrum.stability_sweep(game, algo, zz, param="lr", values=values), dtype=float)


def stability_map(game_cfg: GameConfig, algo_cfg: AlgoConfig, z: tuple[float, ...], param2: str,
                  values2: tuple[float, ...], lr_lo: float = 1e-2, lr_hi: float = 3.0,
                  n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectral radius over (η, param2): lrs (N,), values2 (M,), radius (N, M)."""
    from dynamics import spectrum

    game, algo = make_game(game_cfg), make_algorithm(algo_cfg)
    lrs = np.logspace(np.log10(lr_lo), np.log10(lr_hi), int(np.clip(n, 5, 200)))
    v2 = np.asarray(values2, dtype=float)
    zz = np.asarray(z, dtype=float)[None, :]
    r = spectrum.stability_sweep(game, algo, zz, param="lr", values=lrs, param2=param2, values2=v2)
    return lrs, v2, np.asarray(r, dtype=float)
