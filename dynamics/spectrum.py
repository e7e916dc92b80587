"""Local linear analysis: the game Jacobian, who owns each eigenvalue, and step Jacobians.

* :func:`game_jacobian` is ``H = d xi / d z`` at a batch of points; :func:`eigen_split` gives its
  eigenvalues together with the share of each eigenvector lying in the min player's coordinates
  (the "whose eigenvalue is it" picture of the CSC413 GAN lecture: rotation shared by both players
  is what makes simultaneous GDA spiral).
* :func:`step_jacobian` differentiates **one step of any algorithm** through ``algorithm.step``
  with autograd, on the augmented state ``s = (z, floating-point state leaves)``; its spectral
  radius is the local linear convergence rate (< 1 converges, > 1 diverges). Integer state
  (step counters) is held fixed. The projection the runner applies after each step is included.
* :func:`stability_sweep` maps that radius over a grid of one or two hyperparameters, batching the
  grid as rows of one step where the algorithm allows it.

Everything here is for small joint dimensions (the dense ``S x S`` Jacobian costs ``S`` reverse
passes), i.e. the 2-D and low-dimensional games of the app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from .algorithm import Algorithm
from .autodiff import jacobian
from .game import Game
from .types import State, Tensor

#: refuse sweeps with more grid points than this (rows of one batched step)
MAX_SWEEP_POINTS = 40_000
#: refuse step Jacobians of augmented states larger than this
MAX_STATE_DIM = 512


def _as_points(game: Game, z: Any) -> Tensor:
    """(D,) or (B, D) array-like -> (B, D) floating tensor (float64 unless already floating)."""
    t = torch.as_tensor(np.asarray(z) if isinstance(z, (list, tuple)) else z)
    if not t.is_floating_point():
        t = t.to(torch.float64)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] != game.dim:
        raise ValueError(f"z must have shape ({game.dim},) or (B, {game.dim}); got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("z must be finite")
    return t


def game_jacobian(game: Game, z: Any) -> Tensor:
    """The game Jacobian ``H = d xi / d z`` (B, D, D) at points ``z`` (B, D) or (D,)."""
    z = _as_points(game, z)
    with torch.enable_grad():
        return jacobian(game, z).detach()


def eigen_split(game: Game, z: Any) -> tuple[Tensor, Tensor]:
    """Eigenvalues of the game Jacobian and how much of each eigenvector belongs to x.

    Returns:
        ``(eigenvalues, share_x)``: eigenvalues (B, D) complex; share_x (B, D) in [0, 1], the
        fraction of each unit eigenvector's squared norm lying in the x-coordinates (1: the min
        player's own curvature, 0: the max player's, in between: a mode both players share,
        typically the rotation of a bilinear coupling).

    """
    H = game_jacobian(game, z)  # (B, D, D)
    if not torch.isfinite(H).all():
        raise ValueError("the game Jacobian is not finite at this point")
    vals, vecs = torch.linalg.eig(H)  # (B, D), (B, D, D) eigenvectors in columns
    power = vecs.abs() ** 2  # (B, D, D)
    share_x = power[:, : game.dim_x, :].sum(dim=1) / power.sum(dim=1).clamp_min(1e-300)
    return vals, share_x.clamp(0.0, 1.0)


# ---- step Jacobians ---------------------------------------------------------------------------


def _float_leaf(leaf: Any, n_rows: int) -> bool:
    return isinstance(leaf, Tensor) and leaf.is_floating_point() and leaf.ndim >= 1 and leaf.shape[0] == n_rows


def _step_map(game: Game, algorithm: Algorithm, z: Tensor, state: State):
    """The step as a function of the augmented state: (B, S) -> (B, S), plus the initial s."""
    n_rows, dim = z.shape
    leaves, spec = tree_flatten(state)
    movable = [i for i, leaf in enumerate(leaves) if _float_leaf(leaf, n_rows)]
    shapes = [leaves[i].shape for i in movable]
    sizes = [int(np.prod(s[1:])) for s in shapes]
    s0 = torch.cat([z] + [leaves[i].reshape(n_rows, -1).to(z.dtype) for i in movable], dim=1)  # (B, S)

    def fn(s: Tensor) -> Tensor:
        zz = s[:, :dim]
        new_leaves = list(leaves)
        offset = dim
        for i, shape, size in zip(movable, shapes, sizes):
            new_leaves[i] = s[:, offset : offset + size].reshape(shape).to(leaves[i].dtype)
            offset += size
        z_next, st_next = algorithm.step(game, zz, tree_unflatten(new_leaves, spec))
        z_next = game.project(z_next)
        out_leaves, _ = tree_flatten(st_next)
        parts = [z_next]
        for i in movable:
            parts.append(out_leaves[i].reshape(n_rows, -1).to(z.dtype))
        return torch.cat(parts, dim=1)

    return fn, s0


def step_jacobian(game: Game, algorithm: Algorithm, z: Any, state: Optional[State] = None) -> Tensor:
    """Jacobian of one step of ``algorithm`` (B, S, S) on the augmented state.

    ``S = D +`` the number of floating-point state entries per row (e.g. OGDA's previous field,
    smoothed GDA's anchor); integer leaves such as step counters are held fixed. ``state``
    defaults to ``algorithm.init(game, z)``.
    """
    z = _as_points(game, z)
    g = game.sample(torch.Generator(device=z.device).manual_seed(0), z, 0) if game.stochastic else game
    if state is None:
        state = algorithm.init(g, z)
    fn, s0 = _step_map(g, algorithm, z, state)
    n_rows, size = s0.shape
    if size > MAX_STATE_DIM:
        raise ValueError(f"the augmented state has {size} entries per row (cap {MAX_STATE_DIM}); "
                         "step Jacobians are for small games")
    with torch.enable_grad():
        s = s0.detach().clone().requires_grad_(True)
        out = fn(s)  # (B, S)
        if out.shape != s.shape:
            raise ValueError(f"{algorithm.name}: the step changed the augmented state's shape "
                             f"{tuple(s.shape)} -> {tuple(out.shape)}")
        rows = []
        for i in range(size):
            if not out.requires_grad:  # the step ignores its input entirely
                rows.append(torch.zeros_like(s))
                continue
            e = torch.zeros_like(out)
            e[:, i] = 1.0
            (r,) = torch.autograd.grad(out, s, e, retain_graph=True, allow_unused=True, materialize_grads=True)
            rows.append(r)
    return torch.stack(rows, dim=1).detach()  # (B, S, S): row i = d out_i / d s


def safe_eigvals(mat: Tensor) -> Tensor:
    """``torch.linalg.eigvals`` per row, NaN for rows whose matrix is not finite.

    A step map can be non-differentiable at a point (Adam's normalisation at a zero gradient):
    LAPACK would then print errors for every such row, so those rows are answered with NaN.
    """
    ok = torch.isfinite(mat).flatten(1).all(dim=1)  # (B,)
    vals = torch.linalg.eigvals(torch.where(ok[:, None, None], mat, torch.zeros_like(mat)))
    return torch.where(ok[:, None], vals, torch.full_like(vals, complex(float("nan"), float("nan"))))


def step_eigenvalues(game: Game, algorithm: Algorithm, z: Any, state: Optional[State] = None) -> Tensor:
    """Eigenvalues (B, S) complex of the one-step Jacobian (NaN where the step is not differentiable)."""
    return safe_eigvals(step_jacobian(game, algorithm, z, state))


def spectral_radius(game: Game, algorithm: Algorithm, z: Any, state: Optional[State] = None) -> Tensor:
    """Spectral radius (B,) of the one-step Jacobian: the local linear rate per step."""
    return step_eigenvalues(game, algorithm, z, state).abs().amax(dim=1)


# ---- sweeps -------------------------------------------------------------------------------------


def _with_values(algorithm: Algorithm, changes: dict[str, Any]) -> Algorithm:
    """A copy of ``algorithm`` with hyperparameters set to (N, 1) tensors (batched sweeps only).

    Validation is bypassed: every value was validated one by one beforehand.
    """
    clone = object.__new__(type(algorithm))
    clone.__dict__.update(algorithm.__dict__)
    for k, v in changes.items():
        object.__setattr__(clone, k, v)
    return clone


def _radius_loop(game: Game, algos: list[Algorithm], z: Tensor) -> np.ndarray:
    return np.array([float(spectral_radius(game, a, z)[0]) for a in algos])


def stability_sweep(
    game: Game,
    algorithm: Algorithm,
    z: Any,
    param: str = "lr",
    values: Sequence[float] = tuple(np.linspace(0.01, 1.0, 100)),
    param2: Optional[str] = None,
    values2: Optional[Sequence[float]] = None,
) -> np.ndarray:
    """Spectral radius of one step at ``z`` over a grid of hyperparameter values.

    Args:
        game: The game.
        algorithm: The algorithm; the swept hyperparameters replace its values.
        z: One point, (D,) or (1, D).
        param: Name of the swept hyperparameter (e.g. "lr", "gamma", "beta").
        values: Its N values.
        param2: Optional second hyperparameter.
        values2: Its M values.

    Returns:
        numpy array (N,) or (N, M) of spectral radii.

    The grid runs as N (x M) rows of one batched step when the algorithm uses the swept
    hyperparameters arithmetically; otherwise (integer parameters, Python control flow on them)
    it falls back to one small step per grid point. The batched result is spot-checked against
    the per-point computation, so a fallback is never silent about correctness.

    """
    z = _as_points(game, z)
    if z.shape[0] != 1:
        raise ValueError(f"stability_sweep takes one point z, got {z.shape[0]}")
    names = {f.name for f in dataclasses.fields(algorithm)}
    for p in (param,) if param2 is None else (param, param2):
        if p not in names:
            raise ValueError(f"{algorithm.name} has no hyperparameter {p!r}; valid: {', '.join(sorted(names))}")
    def cast(p: str, vs: Sequence[Any]) -> list[Any]:  # integer hyperparameters stay integers
        current = getattr(algorithm, p)
        is_int = isinstance(current, int) and not isinstance(current, bool)
        return [int(v) if is_int else float(v) for v in vs]

    v1 = cast(param, values)
    v2 = None if param2 is None else cast(param2, values2 if values2 is not None else ())
    if param2 is not None and not v2:
        raise ValueError("values2 must be given with param2")
    grid = [(a,) for a in v1] if v2 is None else [(a, b) for a in v1 for b in v2]
    if not grid:
        raise ValueError("values must not be empty")
    if len(grid) > MAX_SWEEP_POINTS:
        raise ValueError(f"{len(grid)} sweep points exceed the cap of {MAX_SWEEP_POINTS}")
    params = (param,) if param2 is None else (param, param2)
    # validates every value (clear errors for out-of-range sweeps) and serves the fallback
    algos = [dataclasses.replace(algorithm, **dict(zip(params, pt))) for pt in grid]
    shape = (len(v1),) if v2 is None else (len(v1), len(v2))

    radii: Optional[np.ndarray] = None
    kinds = {p: type(getattr(algorithm, p)) for p in params}
    if all(k in (float, type(None)) for k in kinds.values()) and len(grid) > 1:
        try:
            zz = z.expand(len(grid), -1).contiguous()
            cols = list(zip(*grid))
            changes = {p: torch.tensor(c, dtype=z.dtype, device=z.device)[:, None] for p, c in zip(params, cols)}
            batched = _with_values(algorithm, changes)
            r = spectral_radius(game, batched, zz).cpu().numpy()
            check = sorted({0, len(grid) // 2, len(grid) - 1})
            ref = _radius_loop(game, [algos[i] for i in check], z)
            if r.shape == (len(grid),) and np.allclose(r[check], ref, rtol=1e-6, atol=1e-9, equal_nan=True):
                radii = r
        except (TypeError, RuntimeError, ValueError, IndexError):
            radii = None
    if radii is None:
        radii = _radius_loop(game, algos, z)
    return radii.reshape(shape)


__all__ = ["game_jacobian", "eigen_split", "step_jacobian", "step_eigenvalues", "spectral_radius",
           "stability_sweep", "MAX_SWEEP_POINTS"]
