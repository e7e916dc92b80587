"""The one loop: :func:`run` drives every algorithm on every game, batched over starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch

from .algorithm import Algorithm
from .game import Game
from .types import ArrayLike, State, Tensor

#: refuse runs whose recorded iterates ((steps // record_every + 1) x B x D) exceed this many
#: numbers (400 MB in float64); raise ``record_every`` or use fewer starts
MAX_RECORDED_ELEMENTS = 50_000_000
MAX_STEPS = 1_000_000
MAX_STARTS = 1 << 20
#: rows evaluated at once when computing f and |xi| over the recorded iterates
_METRIC_CHUNK_ELEMENTS = 4_000_000


@dataclass
class Trajectory:
    """What :func:`run` returns. ``T = steps // record_every + 1`` recorded iterates.

    Rows that diverged hold NaN from ``diverged_at`` on; everything before is the finite prefix.
    """

    x: Tensor  # (T, B, dim_x)
    y: Tensor  # (T, B, dim_y)
    f: Tensor  # (T, B) objective (l_x for general-sum games)
    grad_norm: Tensor  # (T, B) |xi(z)|
    diverged: Tensor  # (B,) bool
    diverged_at: Tensor  # (B,) long: first step whose iterate was non-finite or beyond the bound, -1 if none
    steps: Tensor  # (T,) long: the step index of each record
    extras: dict[str, Tensor] = field(default_factory=dict)  # algorithm reports, (T, B, ...)
    z_final: Optional[Tensor] = None  # (B, D) last finite iterate (resume from here)
    state: State = ()  # final algorithm state (resume with it)
    rng_state: Optional[Tensor] = None  # generator state after the last step (resume with it)
    game: Optional[Game] = None
    algorithm: Optional[Algorithm] = None

    @property
    def z(self) -> Tensor:
        """(T, B, D) joint iterates."""
        return torch.cat([self.x, self.y], dim=2)

    def distance_to(self, x_star: ArrayLike, y_star: ArrayLike) -> Tensor:
        """(T, B) Euclidean distance to a point ``(x*, y*)``."""
        zs = torch.cat([torch.as_tensor(x_star, dtype=self.x.dtype, device=self.x.device).reshape(-1),
                        torch.as_tensor(y_star, dtype=self.x.dtype, device=self.x.device).reshape(-1)])
        return (self.z - zs).norm(dim=2)

    def distance_to_equilibrium(self) -> Optional[Tensor]:
        """(T, B) distance to the game's known equilibrium, or ``None`` if it has none."""
        eq = None if self.game is None else self.game.equilibrium()
        return None if eq is None else self.distance_to(*eq)


def _as_batch(v: ArrayLike, dim: int, what: str, dtype: torch.dtype, device: torch.device) -> Tensor:
    t = torch.as_tensor(np.asarray(v) if isinstance(v, (list, tuple)) else v)
    t = t.to(dtype=dtype, device=device)
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] != dim:
        raise ValueError(f"{what} must have shape ({dim},) or (B, {dim}); got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{what} must be finite")
    return t


def resolve_device(device: str | torch.device) -> torch.device:
    """``torch.device`` for ``device``, with a clear error when CUDA is asked for but absent."""
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was requested but CUDA is not available on this machine; "
                           "use device='cpu'")
    return dev


def initial_point(game: Game, x0: ArrayLike, y0: Optional[ArrayLike] = None, *,
                  device: str | torch.device = "cpu", dtype: Optional[torch.dtype] = None) -> Tensor:
    """Parse starts into the joint iterate (B, D). With ``y0=None``, ``x0`` is already ``z``."""
    dev = resolve_device(device)
    if dtype is None:
        dtype = torch.float64 if dev.type == "cpu" else torch.float32
    if y0 is None:
        return _as_batch(x0, game.dim, "z0", dtype, dev)
    x = _as_batch(x0, game.dim_x, "x0", dtype, dev)
    y = _as_batch(y0, game.dim_y, "y0", dtype, dev)
    if x.shape[0] != y.shape[0]:
        if x.shape[0] == 1:
            x = x.expand(y.shape[0], -1)
        elif y.shape[0] == 1:
            y = y.expand(x.shape[0], -1)
        else:
            raise ValueError(f"x0 has {x.shape[0]} starts but y0 has {y.shape[0]}")
    return game.join(x, y).contiguous()


def run(
    game: Game,
    algorithm: Algorithm,
    x0: ArrayLike,
    y0: Optional[ArrayLike] = None,
    *,
    steps: int,
    device: str | torch.device = "cpu",
    dtype: Optional[torch.dtype] = None,
    seed: int = 0,
    record_every: int = 1,
    bound: Optional[float] = None,
    state: State = None,
    rng_state: Optional[Tensor] = None,
    start_step: int = 0,
    callback: Optional[Callable[[int, Tensor, State], Any]] = None,
    metrics: bool = True,
) -> Trajectory:
    """Run ``algorithm`` on ``game`` from a batch of starts; the only loop in the engine.

    Args:
        game: The game.
        algorithm: The algorithm (hyperparameters only; state lives in the loop).
        x0: Start of the min player, shape (dim_x,) or (B, dim_x); or the joint ``z0`` if ``y0`` is
            None. Floats, lists, numpy arrays and tensors are accepted.
        y0: Start of the max player, shape (dim_y,) or (B, dim_y).
        steps: Number of iterations.
        device: "cpu" or "cuda" (a clear error if CUDA is absent).
        dtype: Default float64 on CPU, float32 on CUDA.
        seed: Seeds the generator that stochastic games draw their noise/minibatches from.
        record_every: Record every k-th iterate (memory for long runs and big models).
        bound: |z|_inf above this counts as divergence (default ``game.divergence_bound``).
        state: Resume from this algorithm state (from ``Trajectory.state``).
        rng_state: Resume the generator from this state (from ``Trajectory.rng_state``).
        start_step: Step index of ``x0`` when resuming (only shifts ``Trajectory.steps``).
        callback: Called as ``callback(step, z, state)`` after each step; returning ``False``
            stops the run early (progress bars, stop buttons, snapshots).
        metrics: Compute ``f`` and ``grad_norm`` over the recorded iterates (one batched pass).

    Returns:
        A :class:`Trajectory`. Divergent rows are flagged and frozen at their last finite
        iterate; the finite prefix is kept and nothing is raised.

    Raises:
        ValueError: for bad shapes or sizes beyond the documented caps.

    """
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [0, {MAX_STEPS}], got {steps!r}")
    if not isinstance(record_every, int) or record_every < 1:
        raise ValueError(f"record_every must be a positive integer, got {record_every!r}")
    z = initial_point(game, x0, y0, device=device, dtype=dtype)  # (B, D)
    dev = z.device
    n_starts, dim = z.shape
    if n_starts > MAX_STARTS:
        raise ValueError(f"{n_starts} starts exceed the cap of {MAX_STARTS}")
    n_rec = steps // record_every + 1
    if n_rec * n_starts * dim > MAX_RECORDED_ELEMENTS:
        raise ValueError(
            f"recording {n_rec} iterates x {n_starts} starts x {dim} dims = {n_rec * n_starts * dim:,} "
            f"numbers exceeds the cap of {MAX_RECORDED_ELEMENTS:,}; raise record_every or use fewer starts"
        )
    bound = game.divergence_bound if bound is None else float(bound)

    generator = torch.Generator(device=dev).manual_seed(int(seed))
    if rng_state is not None:
        generator.set_state(rng_state)

    z = game.project(z)
    game.check_start(z)  # a clear error now instead of a run of NaNs (formula games)
    st = algorithm.init(game, z) if state is None else state
    rec = torch.empty((n_rec, n_starts, dim), dtype=z.dtype, device=dev)  # (T, B, D)
    rec[0] = z
    first = algorithm.report(game, z, st)
    extras = {k: torch.empty((n_rec, *v.shape), dtype=v.dtype, device=dev) for k, v in first.items()}
    for k, v in first.items():
        extras[k][0] = v
    diverged = torch.zeros(n_starts, dtype=torch.bool, device=dev)
    diverged_at = torch.full((n_starts,), -1, dtype=torch.long, device=dev)

    k = 1
    with torch.no_grad():
        for t in range(1, steps + 1):
            g = game.sample(generator, z, start_step + t - 1) if game.stochastic else game
            z_new, st = algorithm.step(g, z, st)
            z_new = game.project(z_new)
            # branch-free divergence bookkeeping: no host sync per step on the GPU
            bad = ~torch.isfinite(z_new).all(dim=1) | (z_new.abs().amax(dim=1) > bound)
            diverged_at = torch.where(bad & ~diverged, t, diverged_at)
            diverged = diverged | bad
            z = torch.where(diverged[:, None], z, z_new)
            if t % record_every == 0:
                rec[k] = z
                for name, v in algorithm.report(game, z, st).items():
                    extras[name][k] = v
                k += 1
            if callback is not None and callback(start_step + t, z, st) is False:
                break
    rec = rec[:k]
    extras = {name: v[:k] for name, v in extras.items()}
    rec_steps = torch.arange(k, device=dev) * record_every + start_step

    # hide everything from the divergence on, so plots and metrics see only the finite prefix
    if bool(diverged.any()):
        after = (rec_steps[:, None] >= diverged_at[None, :] + start_step) & diverged[None, :]  # (T, B)
        rec = rec.masked_fill(after[:, :, None], float("nan"))
        for name, v in extras.items():
            if v.is_floating_point():
                extras[name] = v.masked_fill(after.reshape(*after.shape, *([1] * (v.ndim - 2))), float("nan"))

    f, gnorm = (evaluate(game, rec) if metrics else
                (torch.full(rec.shape[:2], float("nan"), dtype=rec.dtype, device=dev),) * 2)
    x, y = rec[..., : game.dim_x], rec[..., game.dim_x :]
    return Trajectory(x=x, y=y, f=f, grad_norm=gnorm, diverged=diverged, diverged_at=diverged_at,
                      steps=rec_steps, extras=extras, z_final=z, state=st,
                      rng_state=generator.get_state(), game=game, algorithm=algorithm)


def evaluate(game: Game, zs: Tensor) -> tuple[Tensor, Tensor]:
    """Objective and field norm at many points at once: (T, B, D) -> (T, B), (T, B)."""
    flat = zs.reshape(-1, zs.shape[-1])  # (T*B, D)
    chunk = max(1, _METRIC_CHUNK_ELEMENTS // max(1, flat.shape[1]))
    fs, gs = [], []
    with torch.no_grad():
        for i in range(0, flat.shape[0], chunk):
            part = flat[i : i + chunk]
            x, y = game.split(part)
            fs.append(game.value(x, y))
            gs.append(game.xi(part).norm(dim=1))
    f = torch.cat(fs) if fs else flat.new_empty(0)
    g = torch.cat(gs) if gs else flat.new_empty(0)
    return f.reshape(zs.shape[:2]), g.reshape(zs.shape[:2])
