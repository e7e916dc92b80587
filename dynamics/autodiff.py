"""Every derivative the engine takes lives here, built on ``torch.func``.

Algorithms never call ``torch.autograd`` themselves: they ask for the game field ``xi``, its
Jacobian-vector products ``H v`` (:func:`jvp_xi`) and ``H^T v`` (:func:`vjp_xi`), the dense
Jacobian for tiny dimensions (:func:`jacobian`), and batched conjugate gradients (:func:`cg_solve`).

Why ``loss.sum()`` is enough: the rows of a batch are independent runs, so the Jacobian of the
summed loss is block-diagonal across rows and differentiating the sum yields per-row gradients.
That is the property the batch-independence tests pin down.

Notation: ``H = d xi / d z = [[d_xx l_x, d_xy l_x], [d_yx l_y, d_yy l_y]]``; for a zero-sum game
``H = [[f_xx, f_xy], [-f_yx, -f_yy]]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import torch
from torch.func import grad, jvp, vjp, vmap

from .types import Matvec, Tensor

if TYPE_CHECKING:
    from .game import Game


def grad_field(game: Game, z: Tensor) -> Tensor:
    """The descent field ``xi(z) = (grad_x l_x, grad_y l_y)`` by automatic differentiation.

    Games without a closed-form field inherit this as their ``xi``.
    """
    x, y = game.split(z)  # (B, dx), (B, dy)
    if game.zero_sum:
        gx, gy = grad(lambda a, b: game.loss(a, b).sum(), argnums=(0, 1))(x, y)
        return torch.cat([gx, -gy], dim=1)  # (B, D)
    gx = grad(lambda a: game.losses(a, y)[0].sum())(x)
    gy = grad(lambda b: game.losses(x, b)[1].sum())(y)
    return torch.cat([gx, gy], dim=1)


def grad_field_x(game: Game, z: Tensor) -> Tensor:
    """``grad_x l_x`` only (half the cost of :func:`grad_field` for alternating updates)."""
    x, y = game.split(z)
    return grad(lambda a: game.losses(a, y)[0].sum())(x)  # (B, dx)


def grad_field_y(game: Game, z: Tensor) -> Tensor:
    """``grad_y l_y`` only."""
    x, y = game.split(z)
    return grad(lambda b: game.losses(x, b)[1].sum())(y)  # (B, dy)


def jvp_xi(game: Game, z: Tensor, v: Tensor) -> Tensor:
    """``H(z) v`` for a batch of tangents ``v`` (B, D), forward mode."""
    _, hv = jvp(game.xi, (z,), (v,))
    # forward AD can promote float32 to float64 through wrapped Python scalars (pytorch#90065)
    return hv.to(z.dtype)


def vjp_xi(game: Game, z: Tensor, u: Tensor) -> Tensor:
    """``H(z)^T u`` for a batch of cotangents ``u`` (B, D), reverse mode."""
    _, pullback = vjp(game.xi, z)
    return pullback(u)[0]


def xi_and_vjp(game: Game, z: Tensor) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """``xi(z)`` together with the map ``u -> H(z)^T u`` (one forward pass shared by both)."""
    value, pullback = vjp(game.xi, z)
    return value, lambda u: pullback(u)[0]


def jacobian(game: Game, z: Tensor, fn: Optional[Callable[[Tensor], Tensor]] = None) -> Tensor:
    """Dense per-row Jacobian ``d fn / d z`` (B, D, D); ``fn`` defaults to the game field.

    Only for small ``D`` (the app's spectrum view, tests): it costs ``D`` reverse passes, run at
    once with ``vmap`` over the basis vectors.
    """
    fn = game.xi if fn is None else fn
    _, pullback = vjp(fn, z)
    n_out = fn(z).shape[1] if fn is not game.xi else z.shape[1]
    eye = torch.eye(n_out, dtype=z.dtype, device=z.device)  # (D, D)
    basis = eye[:, None, :].expand(n_out, z.shape[0], n_out)  # (D, B, D): e_i for every row
    rows = vmap(lambda u: pullback(u)[0])(basis)  # (D, B, D): row i of J for every b
    return rows.permute(1, 0, 2).contiguous()  # (B, D, D)


def batched_dot(a: Tensor, b: Tensor) -> Tensor:
    """Row-wise inner product (B, n), (B, n) -> (B,)."""
    return (a * b).sum(dim=1)


def cg_solve(
    matvec: Matvec,
    b: Tensor,
    x0: Optional[Tensor] = None,
    *,
    tol: float = 1e-12,
    atol: float = 1e-20,
    max_iter: Optional[int] = None,
) -> tuple[Tensor, Tensor]:
    """Solve ``A w = b`` row by row with conjugate gradients (``A`` symmetric positive definite).

    Each row stops on its own when ``|r|^2 < tol |b|^2`` or ``|r|^2 < atol`` (the cgds-package
    criteria); a converged row is frozen, so its result never depends on the other rows.

    Args:
        matvec: ``p -> A p`` on a batch (B, n) -> (B, n).
        b: Right-hand sides (B, n).
        x0: Warm start (B, n); zeros by default.
        tol: Relative squared-residual tolerance.
        atol: Absolute squared-residual tolerance.
        max_iter: At most this many iterations (default ``n``).

    Returns:
        The solution (B, n) and the number of iterations each row used (B,).

    """
    n = b.shape[1]
    max_iter = n if max_iter is None else max_iter
    w = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - matvec(w) if x0 is not None else b.clone()
    p = r.clone()
    rr = batched_dot(r, r)  # (B,)
    bb = batched_dot(b, b)
    iters = torch.zeros(b.shape[0], dtype=torch.long, device=b.device)
    active = ~((rr < tol * bb) | (rr < atol))
    for _ in range(max_iter):
        if not bool(active.any()):
            break
        ap = matvec(p)
        pap = batched_dot(p, ap)
        alpha = torch.where(active, rr / torch.where(active, pap, torch.ones_like(pap)), 0.0)
        w = w + alpha[:, None] * p
        r = r - alpha[:, None] * ap
        rr_new = batched_dot(r, r)
        beta = torch.where(active, rr_new / torch.where(active, rr, torch.ones_like(rr)), 0.0)
        p = torch.where(active[:, None], r + beta[:, None] * p, p)
        rr = torch.where(active, rr_new, rr)
        iters = iters + active.long()
        active = active & ~((rr < tol * bb) | (rr < atol))
    return w, iters
