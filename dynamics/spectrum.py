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
from .errors import BudgetExceeded, InvalidArgument, InvalidType
from .game import Game
from .params import hparams, per_row_values
from .types import State, Tensor
from .validation import as_batch, check_algorithm, check_game, check_name, real_matrix

#: refuse sweeps with more grid points than this (rows of one batched step)
MAX_SWEEP_POINTS = 40_000
#: game Jacobians up to this dimension take plain reverse passes instead of torch.func
SMALL_DIM = 16
#: refuse step Jacobians of augmented states larger than this
MAX_STATE_DIM = 512


def warm_up() -> None:
    """Pay torch's one-time lazy imports now (call it once at server start, never needed for
    correctness): the first reverse pass with explicit ``grad_outputs`` (the second-order
    algorithms' Hessian-vector products on nonlinear fields) imports torch's symbolic-shape
    machinery (sympy, measured 1.3-1.9 s), and the first ``torch.func`` transform (games whose field
    is taken by automatic differentiation) its compiler stack (measured 4 s; both on a loaded 2-core
    machine). The spectrum functions themselves avoid both for linear fields and small games (constant
    Jacobians, scalar reverse passes), so importing this module stays cheap.
    """
    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    torch.autograd.grad(x * 2.0, x, torch.ones_like(x))
    torch.func.grad(lambda v: (v * v).sum())(torch.ones(1, dtype=torch.float64))


def _as_points(game: Game, z: Any) -> Tensor:
    """(D,) or (B, D) real input -> (B, D) finite tensor (a floating tensor keeps its dtype, else float64)."""
    check_game(game)
    dtype = z.dtype if isinstance(z, Tensor) and z.dtype in (torch.float32, torch.float64) else torch.float64
    device = z.device if isinstance(z, Tensor) and z.device.type in ("cpu", "cuda") else torch.device("cpu")
    t = as_batch(z, game.dim, "z", dtype, device)
    if t.shape[0] > MAX_SWEEP_POINTS:
        raise BudgetExceeded(f"{t.shape[0]} points exceed the cap of {MAX_SWEEP_POINTS}")
    return t


def game_jacobian(game: Game, z: Any) -> Tensor:
    """The game Jacobian ``H = d xi / d z`` (B, D, D) at points ``z`` (B, D) or (D,)."""
    z = _as_points(game, z)
    H = game.jacobian_constant(z)
    if H is not None:  # linear fields: no differentiation at all
        return H.expand(z.shape[0], -1, -1).clone()
    if game.dim <= SMALL_DIM:
        # a few reverse passes of plain autograd: torch.func's first call loads torch's compiler
        # stack (seconds), too slow for the first render of the spectrum page
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            out = game.xi(zz)
            rows = [torch.autograd.grad(out[:, i].sum(), zz, retain_graph=i + 1 < game.dim, allow_unused=True,
                                        materialize_grads=True)[0] for i in range(game.dim)]
        return torch.stack(rows, dim=1).detach()  # (B, D, D)
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
            # the rows are independent, so d(sum_b out[b, i])/ds is row i of every row's Jacobian; a
            # scalar output also spares the first call torch's import of its symbolic-shape machinery
            # (about 1.5 s), which explicit grad_outputs trigger
            (r,) = torch.autograd.grad(out[:, i].sum(), s, retain_graph=True, allow_unused=True,
                                       materialize_grads=True)
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


def _axis(algorithm: Algorithm, param: str, values: Any, what: str) -> list[Any]:
    """The values of one sweep axis, each validated once (per axis, never per grid point)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise InvalidType(f"{what} must be a sequence of numbers, got {type(values).__name__}")
    arr = real_matrix(values, what, 1).reshape(-1)
    if arr.size > MAX_SWEEP_POINTS:
        raise BudgetExceeded(f"{what} has {arr.size} values, above the cap of {MAX_SWEEP_POINTS} sweep points")
    current = getattr(algorithm, param)
    is_int = isinstance(current, int) and not isinstance(current, bool)
    out: list[Any] = []
    for v in arr.tolist():
        if is_int and v != int(v):
            raise InvalidArgument(f"{what}: {param} takes integers, got {v!r}")
        # validates the value through the algorithm's own declaration (range, finiteness)
        out.append(getattr(dataclasses.replace(algorithm, **{param: int(v) if is_int else float(v)}), param))
    return out


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

    Each axis is validated once per value. Float hyperparameters become per-row (N*M, 1) tensors
    (:func:`dynamics.params.per_row_values`), so the whole grid is the rows of ONE batched step
    Jacobian, for every registered algorithm. Integer hyperparameters change the update's control
    flow: the grid is then split by their values, each part still one batched step.

    """
    check_game(game)
    check_algorithm(algorithm)
    z = _as_points(game, z)
    if z.shape[0] != 1:
        raise InvalidArgument(f"stability_sweep takes one point z, got {z.shape[0]}")
    names = {hp.name: hp for hp in hparams(algorithm)}
    params = (param,) if param2 is None else (param, param2)
    for p in params:
        check_name(p, "param")
        if p not in names or names[p].kind not in ("float", "int"):
            valid = sorted(n for n, hp in names.items() if hp.kind in ("float", "int"))
            raise InvalidArgument(f"{algorithm.name} has no hyperparameter {p!r} to sweep; "
                                  f"numeric ones: {', '.join(valid)}")
    if param2 is not None and param2 == param:
        raise InvalidArgument("param2 must differ from param")
    v1 = _axis(algorithm, param, values, "values")
    if param2 is not None and values2 is None:
        raise InvalidArgument("values2 must be given with param2")
    v2 = None if param2 is None else _axis(algorithm, param2, values2, "values2")
    if not v1 or (v2 is not None and not v2):
        raise InvalidArgument("values must not be empty")
    shape = (len(v1),) if v2 is None else (len(v1), len(v2))
    n_points = int(np.prod(shape))
    if n_points > MAX_SWEEP_POINTS:
        raise BudgetExceeded(f"{n_points} sweep points exceed the cap of {MAX_SWEEP_POINTS}")
    cols = [np.repeat(np.asarray(v1, dtype=object), 1 if v2 is None else len(v2))]
    if v2 is not None:
        cols.append(np.tile(np.asarray(v2, dtype=object), len(v1)))
    ints = [i for i, p in enumerate(params) if isinstance(getattr(algorithm, p), int)]
    floats = [i for i in range(len(params)) if i not in ints]
    # rows sharing the integer values run as one batched step
    keys = list(zip(*(cols[i] for i in ints))) if ints else [()] * n_points
    groups: dict[tuple, list[int]] = {}
    for row, key in enumerate(keys):
        groups.setdefault(key, []).append(row)
    radii = np.empty(n_points)
    for key, rows in groups.items():
        algo = dataclasses.replace(algorithm, **{params[i]: int(k) for i, k in zip(ints, key)}) if ints else algorithm
        if floats:
            per_row = {params[i]: torch.tensor(np.asarray(cols[i][rows], dtype=np.float64), dtype=z.dtype,
                                               device=z.device)[:, None] for i in floats}
            with per_row_values():
                algo = dataclasses.replace(algo, **per_row)
        radii[rows] = _batched_radius(game, algo, z.expand(len(rows), -1).contiguous())
    return radii.reshape(shape)


def _batched_radius(game: Game, algorithm: Algorithm, zz: Tensor) -> np.ndarray:
    """Spectral radii (B,) of one batched step (the hook the tests count)."""
    return spectral_radius(game, algorithm, zz).cpu().numpy()


__all__ = ["warm_up", "game_jacobian", "eigen_split", "step_jacobian", "step_eigenvalues", "spectral_radius",
           "stability_sweep", "MAX_SWEEP_POINTS"]
